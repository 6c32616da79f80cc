//! The status page's own screen: an incident only on private services is
//! never shown, counted or linked on the page, so its file need not be
//! parsed. At a million records that is most of the page's load (half the
//! bench repo's services are internal, as in most organisations).
//!
//! The catalog is read first, from the same listing the load then uses (one
//! walk of the tree). An incident is skipped only when its text names its
//! services plainly (`service:`, and `affected_services:` as a block or
//! one-line flow list of plain ids), every one of them is a service the
//! catalog marks private, and it names no configuration item (a CI can make
//! an incident affect public services downstream). Anything else is loaded
//! as before. Services are always loaded whole: should the load find one of
//! the "private" ids public after all (a second record with the same id
//! outside `catalog/`), the screen may have been wrong and the repo is
//! loaded again without it, so the page is always that of a full load.

use super::Need;
use crate::model::{Kind, Record};
use crate::repo::{Entry, Source};
use crate::validate::Screened;
use std::collections::HashSet;
use std::sync::Mutex;

/// Ids of the services the catalog marks private.
#[derive(Debug, Default)]
pub struct PrivateServices {
    ids: HashSet<String>,
}

impl PrivateServices {
    /// From records already loaded (the catalog's).
    fn of(records: &[crate::repo::Loaded]) -> PrivateServices {
        let mut ids = HashSet::new();
        let mut public = HashSet::new();
        for l in records {
            if let Record::Service(s) = &l.record {
                if s.public {
                    public.insert(s.id.as_str());
                } else {
                    ids.insert(s.id.to_string());
                }
            }
        }
        // An id written twice, once public: not private.
        ids.retain(|id| !public.contains(id.as_str()));
        PrivateServices { ids }
    }

    /// Whether an incident file can be left out: it plainly names only
    /// private services and no CI (see the module docs).
    pub fn can_skip_incident(&self, text: &str) -> bool {
        named_services(text).is_some_and(|v| !v.is_empty() && v.iter().all(|s| self.ids.contains(*s)))
    }
}

fn plain_id(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// The value of a line after its key, without a trailing comment; `None`
/// when a comment marker or quote leaves it unclear.
fn plain_value(v: &str) -> &str {
    v.split(" #").next().unwrap_or("").trim()
}

/// Every service an incident's text names at the top level (`service:` and
/// the items of `affected_services:`), or `None` when the text names a
/// configuration item or writes any of it in a way this reader does not
/// take plainly (a value that is not a plain id: quoted, an alias, nested
/// flow; a key twice; items indented unevenly; a second document; tabs).
/// Other keys' values are not read, so quotes or anchors there are fine.
pub fn named_services(text: &str) -> Option<Vec<&str>> {
    if text.contains('\t') {
        return None;
    }
    let mut service = None;
    let mut affected: Option<Vec<&str>> = None;
    // Inside `affected_services:`'s block list: the items' indentation.
    let mut in_list: Option<Option<usize>> = None;
    for line in text.lines() {
        let Some(first) = line.bytes().next() else {
            continue;
        };
        if let Some(indent) = in_list {
            let item = line.trim_start_matches(' ');
            let here = line.len() - item.len();
            if let Some(v) = item.strip_prefix("- ") {
                let v = plain_value(v);
                if !plain_id(v) || indent.is_some_and(|i| i != here) {
                    return None;
                }
                in_list = Some(Some(here));
                affected.as_mut()?.push(v);
                continue;
            }
            if item.starts_with('#') {
                continue; // a comment line within the list
            }
            if here > 0 {
                return None; // an item's continuation, or something nested
            }
            in_list = None;
        }
        match first {
            b'#' | b' ' => continue,
            b'a'..=b'z' | b'A'..=b'Z' | b'_' => {}
            // `---`, `...`, `- x` at the top, `?`, `{`, `[`, `!`, `%`, `|`…
            _ => return None,
        }
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        if !(value.is_empty() || value.starts_with(' ')) {
            continue;
        }
        let value = plain_value(value);
        match key {
            "config_items" => return None,
            "service" => {
                if service.is_some() || !plain_id(value) {
                    return None;
                }
                service = Some(value);
            }
            "affected_services" => {
                if affected.is_some() {
                    return None;
                }
                if value.is_empty() {
                    affected = Some(Vec::new());
                    in_list = Some(None);
                } else {
                    let inner = value.strip_prefix('[')?.strip_suffix(']')?;
                    let items: Vec<&str> = inner
                        .split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .collect();
                    if !items.iter().all(|s| plain_id(s)) {
                        return None;
                    }
                    affected = Some(items);
                }
            }
            _ => {}
        }
    }
    let mut all = vec![service?];
    all.extend(affected.unwrap_or_default());
    Some(all)
}

/// A source whose listing was taken once: the first load gets it, any
/// later call lists again.
struct Listed<'a> {
    inner: &'a dyn Source,
    entries: Mutex<Option<Vec<Entry>>>,
}

impl Source for Listed<'_> {
    fn entries(&self) -> anyhow::Result<Vec<Entry>> {
        match self.entries.lock().unwrap_or_else(|e| e.into_inner()).take() {
            Some(e) => Ok(e),
            None => self.inner.entries(),
        }
    }
    fn read(&self, path: &str) -> std::io::Result<Vec<u8>> {
        self.inner.read(path)
    }
}

/// What the status page at `now` loads (see the module docs):
/// `Need::StatusPage` as of `now` ([`super::load_at`]), and incidents only
/// on private services screened out.
pub fn load_status_page(source: &dyn Source, now: jiff::Timestamp) -> anyhow::Result<Screened> {
    let entries = source.entries()?;
    let folder = format!("{}/", Kind::Service.folder());
    let catalog = Listed {
        inner: source,
        entries: Mutex::new(Some(
            entries
                .iter()
                .filter(|e| e.path.starts_with(&folder))
                .cloned()
                .collect(),
        )),
    };
    let private = PrivateServices::of(&crate::repo::load(&catalog)?.records);
    let listed = Listed {
        inner: source,
        entries: Mutex::new(Some(entries)),
    };
    let screened = super::load_screened(&listed, Need::StatusPage, None, Some(&private), Some(now))?;
    let contradicted = super::records(&screened)
        .iter()
        .any(|l| matches!(&l.record, Record::Service(s) if s.public && private.ids.contains(s.id.as_str())));
    if contradicted {
        return super::load_at(source, Need::StatusPage, None, now);
    }
    Ok(screened)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_service_and_affected_services_in_every_plain_shape() {
        let base = "kind: Incident\nid: INC-1\nservice: a\n";
        assert_eq!(named_services(base), Some(vec!["a"]));
        let block = format!("{base}affected_services:\n  - b\n  - c # why\nstatus: new\n");
        assert_eq!(named_services(&block), Some(vec!["a", "b", "c"]));
        let compact = format!("{base}affected_services:\n- b\n# note\n- c\ntimeline: []\n");
        assert_eq!(named_services(&compact), Some(vec!["a", "b", "c"]));
        let flow = format!("{base}affected_services: [b, c]\n");
        assert_eq!(named_services(&flow), Some(vec!["a", "b", "c"]));
        assert_eq!(
            named_services(&format!("{base}affected_services: []\n")),
            Some(vec!["a"])
        );
    }

    #[test]
    fn anything_unclear_is_not_read() {
        let base = "kind: Incident\nid: INC-1\nservice: a\n";
        for bad in [
            format!("{base}config_items:\n  - ci-1\n"),
            format!("{base}service: b\n"),
            "kind: Incident\nservice: \"a\"\n".to_string(),
            "kind: Incident\nservice: 'a'\n".to_string(),
            "kind: Incident\nservice: *x\n".to_string(),
            "kind: Incident\nservice: !!str a\n".to_string(),
            "kind: Incident\nservice: [a]\n".to_string(),
            "kind: Incident\n? service\n: a\n".to_string(),
            "{kind: Incident, service: a}\n".to_string(),
            format!("{base}---\nservice: b\n"),
            format!("{base}affected_services:\n  - [b]\n"),
            format!("{base}affected_services:\n  - {{b: c}}\n"),
            format!("{base}affected_services:\n  - b\n    - c\n"),
            format!("{base}affected_services:\n  - b\n   c\n"),
            format!("{base}affected_services:\n  - b\n - c\n"),
            format!("{base}affected_services: [b, [c]]\n"),
            format!("{base}affected_services:\n  - b\naffected_services:\n  - c\n"),
            format!("{base}affected_services: b\n"),
            "kind: Incident\nid: INC-1\n".to_string(),
            "kind: Incident\n\tservice: a\n".to_string(),
        ] {
            assert_eq!(named_services(&bad), None, "{bad}");
        }
    }

    #[test]
    fn an_incident_is_skipped_only_when_every_service_is_private() {
        let p = PrivateServices {
            ids: ["a", "b"].into_iter().map(String::from).collect(),
        };
        assert!(p.can_skip_incident("service: a\n"));
        assert!(p.can_skip_incident("service: a\naffected_services: [b]\n"));
        assert!(!p.can_skip_incident("service: a\naffected_services: [b, pub]\n"));
        assert!(!p.can_skip_incident("service: pub\naffected_services: [a]\n"));
        assert!(!p.can_skip_incident("service: a\nconfig_items: [ci]\n"));
        assert!(!p.can_skip_incident("service: \"a\"\n"));
    }
}
