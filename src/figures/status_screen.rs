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
use crate::glance::Glance;
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
    pub fn can_skip_incident(&self, glance: &Glance) -> bool {
        glance
            .services
            .as_ref()
            .is_some_and(|v| !v.is_empty() && v.iter().all(|s| self.ids.contains(s)))
    }
}

/// A source whose listing was taken once: the first load gets it, any
/// later call lists again.
struct Listed<'a> {
    inner: &'a dyn Source,
    entries: Mutex<Option<Vec<Entry>>>,
    /// The listing is the inner source's whole one: its cache serves. (A
    /// part of it must not: the cache would be rewritten with that part.)
    whole: bool,
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
    fn cache(&self) -> Option<&crate::repo::cache::Cache> {
        self.inner.cache().filter(|_| self.whole)
    }
    fn file_id(&self, path: &str) -> Option<crate::repo::cache::FileId> {
        self.inner.file_id(path)
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
        whole: false,
    };
    let private = PrivateServices::of(&crate::repo::load(&catalog)?.records);
    let listed = Listed {
        inner: source,
        entries: Mutex::new(Some(entries)),
        whole: true,
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
    fn an_incident_is_skipped_only_when_every_service_is_private() {
        let p = PrivateServices {
            ids: ["a", "b"].into_iter().map(String::from).collect(),
        };
        assert!(p.can_skip_incident(&Glance::of("service: a\n")));
        assert!(p.can_skip_incident(&Glance::of("service: a\naffected_services: [b]\n")));
        assert!(!p.can_skip_incident(&Glance::of("service: a\naffected_services: [b, pub]\n")));
        assert!(!p.can_skip_incident(&Glance::of("service: pub\naffected_services: [a]\n")));
        assert!(!p.can_skip_incident(&Glance::of("service: a\nconfig_items: [ci]\n")));
        assert!(!p.can_skip_incident(&Glance::of("service: \"a\"\n")));
    }
}
