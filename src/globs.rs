//! Service `paths` globs (SPEC §3 rule 6), in one home for `validate` and the
//! gate: anchored at the git root, `*` never crosses `/`, `**` any depth,
//! `x/` means `x/**`, and matching ignores case so that `Infra/...` cannot
//! shadow `infra/...` on a case-insensitive checkout. A pattern starting with
//! `/` or `./` would silently match nothing, so it is an error.

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

/// Why one pattern cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadPattern {
    pub index: usize,
    pub pattern: String,
    pub why: String,
}

/// Checks one pattern and returns the glob text actually compiled.
pub fn normalise(pattern: &str) -> Result<String, String> {
    if pattern.is_empty() {
        return Err("an empty pattern matches nothing".into());
    }
    if pattern.starts_with('/') || pattern.starts_with("./") {
        return Err(format!(
            "`{pattern}` starts with `{}`: paths are relative to the git root, so it would match nothing (write `{}`)",
            if pattern.starts_with('/') { "/" } else { "./" },
            pattern.trim_start_matches("./").trim_start_matches('/')
        ));
    }
    if pattern.contains('\\') {
        return Err(format!("`{pattern}` contains `\\`; git paths use `/`"));
    }
    Ok(match pattern.strip_suffix('/') {
        Some(dir) => format!("{dir}/**"),
        None => pattern.to_string(),
    })
}

/// Compiles a service's (or template's) patterns into one set.
pub fn compile(patterns: &[String]) -> Result<GlobSet, BadPattern> {
    let mut b = GlobSetBuilder::new();
    for (index, p) in patterns.iter().enumerate() {
        let bad = |why: String| BadPattern {
            index,
            pattern: p.clone(),
            why,
        };
        let text = normalise(p).map_err(bad)?;
        let g = GlobBuilder::new(&text)
            .literal_separator(true)
            .case_insensitive(true)
            .build()
            .map_err(|e| bad(format!("`{p}` is not a valid glob: {e}")))?;
        b.add(g);
    }
    b.build().map_err(|e| BadPattern {
        index: 0,
        pattern: patterns.join(", "),
        why: format!("the patterns do not compile: {e}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pats: &[&str], path: &str) -> bool {
        let v: Vec<String> = pats.iter().map(|s| s.to_string()).collect();
        compile(&v).unwrap().is_match(path)
    }

    #[test]
    fn anchoring_and_case() {
        assert!(m(&["infra/payments/"], "infra/payments/main.tf"));
        assert!(m(&["infra/payments/"], "infra/payments/a/b.tf"));
        assert!(!m(&["infra/payments/"], "infra/paymentsx/a.tf"));
        assert!(m(&["infra/*.tf"], "Infra/MAIN.tf"));
        assert!(!m(&["infra/*.tf"], "infra/a/main.tf"));
        assert!(m(&["infra/**"], "infra/a/main.tf"));
        assert!(!m(&["infra/**"], "x/infra/a.tf"));
    }

    #[test]
    fn unanchored_forms_are_errors() {
        for p in ["/infra/**", "./infra/**", "", "infra\\x"] {
            let e = compile(&[p.to_string()]).unwrap_err();
            assert_eq!(e.index, 0, "{p}");
        }
        assert!(compile(&["a/[".to_string()]).is_err());
    }
}
