//! The YAML fast path (src/yaml/fast.rs) against saphyr: wherever the fast
//! path reads a text, it must read exactly the tree saphyr reads, positions
//! included; and it must actually take the records we write.

use gitsm::yaml::{parse_fast_path, parse_with_saphyr};
use std::path::Path;

fn yaml_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            yaml_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "yaml" || x == "yml") {
            out.push(p);
        }
    }
}

#[test]
fn bundled_records_read_the_same_on_both_paths() {
    let mut files = Vec::new();
    yaml_files(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").as_path(),
        &mut files,
    );
    let mut fast = 0;
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let slow = parse_with_saphyr(&text);
        match parse_fast_path(&text) {
            Some(doc) => {
                fast += 1;
                assert_eq!(Ok(doc), slow, "{}", f.display());
            }
            None => eprintln!("slow: {}", f.display()),
        }
    }
    eprintln!("{fast} of {} fast", files.len());
}

// ---- Differential property tests ----
//
// A tree of mappings, sequences and scalars is rendered as block YAML with
// layout choices drawn from a byte string (indent widths, compact `- key:`,
// quoting styles, literal blocks, comments, blank lines, trailing spaces),
// from an alphabet full of YAML's special characters. Wherever the fast path
// reads the text, saphyr must read the same tree. Mutated renderings (a
// character inserted or removed anywhere) reach the near misses.

use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Tree {
    Map(Vec<(String, Tree)>),
    Seq(Vec<Tree>),
    Scalar(String),
}

/// Pieces of scalar text: YAML's indicators, comment and mapping markers,
/// quotes, escapes, line-break look-alikes and non-ASCII.
const PIECES: &[&str] = &[
    "a", "b", "Z", "0", "7", "e", "x", "-", ".", ":", " ", "  ", "#", "'", "\"", "|", ">", "[", "]", "{",
    "}", ",", "&", "*", "!", "%", "@", "`", "?", "\\", "é", "日", "\u{a0}", "\u{85}", "\u{2028}", "\u{feff}",
    "\t", "\r", "~", "+", "null", "true", "No", "0x1F", "0o17", "1e3", ".5", "-3", ".inf", ": ", " #", "---",
    "...", "<<", "- ",
];

/// Keys: plain ones and every way a key can be something else.
const KEYS: &[&str] = &[
    "a", "b", "k_1", "x-y", "a.b", "1", "Id", "-a", ".a", "a b", "a:b", "\"q\"", "'q'", "<<", "? a", "y",
    "null", "~", "é", "a#", "[a]", "",
];

fn scalar(pieces: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(pieces), 0..5).prop_map(|v| v.concat())
}

fn tree(keys: BoxedStrategy<String>, scalars: BoxedStrategy<String>) -> impl Strategy<Value = Tree> {
    scalars
        .prop_map(Tree::Scalar)
        .prop_recursive(4, 32, 5, move |inner| {
            prop_oneof![
                prop::collection::vec((keys.clone(), inner.clone()), 0..5).prop_map(Tree::Map),
                prop::collection::vec(inner, 0..5).prop_map(Tree::Seq),
            ]
        })
}

/// Layout choices, consumed in turn (and wrapping around).
struct Choices {
    bytes: Vec<u8>,
    at: usize,
    /// Only the layouts people write: no `|+`, `>` or indentation
    /// indicators, no ragged literal blocks, a final line break.
    tame: bool,
    /// The next entry starts on a dash's line: no filler before it.
    on_dash_line: bool,
}

impl Choices {
    fn pick(&mut self, n: u8) -> u8 {
        if self.bytes.is_empty() {
            return 0;
        }
        let b = self.bytes[self.at % self.bytes.len()];
        self.at += 1;
        b % n
    }
}

fn render(t: &Tree, c: &mut Choices) -> String {
    let mut out = String::new();
    if c.pick(5) == 0 {
        out.push_str("# yaml-language-server: $schema=x.json\n");
    }
    match t {
        Tree::Scalar(s) => {
            out.push_str(s);
            out.push('\n');
        }
        _ => block(t, 0, c, &mut out),
    }
    if !c.tame && c.pick(6) == 0 {
        out.pop();
    }
    out
}

/// Writes a collection whose lines start at column `indent`.
fn block(t: &Tree, indent: usize, c: &mut Choices, out: &mut String) {
    let pad = " ".repeat(indent);
    match t {
        Tree::Map(entries) => {
            for (k, v) in entries {
                filler(indent, c, out);
                out.push_str(&pad);
                out.push_str(k);
                out.push(':');
                value(v, indent, true, c, out);
            }
        }
        Tree::Seq(items) => {
            for v in items {
                filler(indent, c, out);
                out.push_str(&pad);
                out.push('-');
                match v {
                    Tree::Map(e) if !e.is_empty() && (c.tame || c.pick(2) == 0) => {
                        // `- key: value`, the rest of the mapping under the key.
                        let gap = 1 + c.pick(3) as usize;
                        out.push_str(&" ".repeat(gap));
                        let mut inner = String::new();
                        c.on_dash_line = true;
                        block(v, indent + 1 + gap, c, &mut inner);
                        out.push_str(inner.trim_start_matches(' '));
                    }
                    _ => value(v, indent, false, c, out),
                }
            }
        }
        Tree::Scalar(_) => value(t, indent, false, c, out),
    }
}

/// Sometimes a blank line or a comment line before an entry.
fn filler(indent: usize, c: &mut Choices, out: &mut String) {
    if std::mem::take(&mut c.on_dash_line) {
        return;
    }
    match c.pick(12) {
        0 => out.push('\n'),
        1 => out.push_str(&format!("{}# note\n", " ".repeat(c.pick(2) as usize * indent))),
        // Spaces on a blank line: a blank line people leave behind (the fast
        // path leaves one inside a literal block to saphyr).
        2 if !c.tame => out.push_str("   \n"),
        _ => {}
    }
}

/// Writes what follows `key:` or `-` for a collection at column `indent`.
fn value(v: &Tree, indent: usize, in_map: bool, c: &mut Choices, out: &mut String) {
    match v {
        Tree::Map(e) if e.is_empty() => out.push_str(" {}\n"),
        Tree::Seq(i) if i.is_empty() => out.push_str(" []\n"),
        // Tame flow collections hold no commas in their scalars (people
        // quote those).
        Tree::Map(_) | Tree::Seq(_) if flat(v) && (!c.tame || !has_comma(v)) && c.pick(3) == 0 => {
            out.push(' ');
            flow(v, c, out);
            if c.pick(4) == 0 {
                out.push_str(" # c");
            }
            out.push('\n');
        }
        Tree::Map(_) | Tree::Seq(_) => {
            if c.pick(4) == 0 {
                out.push_str(" # about it");
            }
            out.push('\n');
            // A sequence at its key's column; tame ones do not start with a
            // dash alone on its line (the fast path leaves that to saphyr).
            let same = in_map
                && matches!(v, Tree::Seq(items) if !c.tame || !matches!(items[0], Tree::Seq(_)))
                && c.pick(2) == 0;
            let step = if same { 0 } else { 1 + c.pick(4) as usize };
            block(v, indent + step, c, out);
        }
        Tree::Scalar(s) => {
            let gap = if c.pick(5) == 0 { "  " } else { " " };
            match c.pick(6) {
                0 => out.push_str(&format!("{gap}'{}'", s.replace('\'', "''"))),
                1 => out.push_str(&format!("{gap}\"{s}\"")),
                2 => {
                    let header = ["|", "|-", "|+", ">", "|2"][c.pick(if c.tame { 2 } else { 5 }) as usize];
                    let at = indent + 1 + c.pick(3) as usize;
                    out.push_str(&format!("{gap}{header}\n"));
                    for (i, line) in s.split(' ').enumerate() {
                        let extra = if i > 0 && !c.tame && c.pick(4) == 0 { 1 } else { 0 };
                        out.push_str(&format!("{}{line}\n", " ".repeat(at + extra)));
                    }
                    if c.pick(3) == 0 {
                        out.push('\n');
                    }
                    return;
                }
                _ => out.push_str(&format!("{gap}{s}")),
            }
            match c.pick(5) {
                0 => out.push_str(" # c"),
                1 => out.push_str("  "),
                _ => {}
            }
            out.push('\n');
        }
    }
}

/// A collection of scalars only.
fn flat(t: &Tree) -> bool {
    match t {
        Tree::Map(e) => e.iter().all(|(_, v)| matches!(v, Tree::Scalar(_))),
        Tree::Seq(i) => i.iter().all(|v| matches!(v, Tree::Scalar(_))),
        Tree::Scalar(_) => true,
    }
}

fn has_comma(t: &Tree) -> bool {
    match t {
        Tree::Map(e) => e.iter().any(|(_, v)| has_comma(v)),
        Tree::Seq(i) => i.iter().any(has_comma),
        Tree::Scalar(s) => s.contains(','),
    }
}

/// A collection of scalars in flow style on one line, with ragged spacing.
fn flow(t: &Tree, c: &mut Choices, out: &mut String) {
    let mut parts = Vec::new();
    let (open, close) = match t {
        Tree::Map(e) => {
            for (k, v) in e {
                let Tree::Scalar(v) = v else { unreachable!() };
                parts.push(format!("{k}:{}{v}", if c.pick(6) == 0 { "  " } else { " " }));
            }
            ("{", "}")
        }
        Tree::Seq(i) => {
            for v in i {
                let Tree::Scalar(v) = v else { unreachable!() };
                parts.push(v.clone());
            }
            ("[", "]")
        }
        Tree::Scalar(_) => unreachable!(),
    };
    let sep = [", ", ",", " , ", ",  "][c.pick(if c.tame { 1 } else { 4 }) as usize];
    out.push_str(open);
    if c.pick(5) == 0 {
        out.push(' ');
    }
    out.push_str(&parts.join(sep));
    out.push_str(close);
}

/// Holds the fast path to saphyr on `text`; whether it took the text.
fn same_as_saphyr(text: &str) -> Result<bool, TestCaseError> {
    let Some(fast) = parse_fast_path(text) else {
        return Ok(false);
    };
    let slow = parse_with_saphyr(text);
    prop_assert_eq!(Ok(fast), slow, "text: {:?}", text);
    Ok(true)
}

fn wild_tree() -> impl Strategy<Value = Tree> {
    let keys = prop::sample::select(KEYS).prop_map(str::to_string).boxed();
    tree(keys, scalar(PIECES).boxed())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn the_fast_path_reads_what_saphyr_reads(t in wild_tree(), layout in prop::collection::vec(any::<u8>(), 1..64)) {
        let text = render(&t, &mut Choices { bytes: layout, at: 0, tame: false, on_dash_line: false });
        same_as_saphyr(&text)?;
    }

    #[test]
    fn near_misses_too(
        t in wild_tree(),
        layout in prop::collection::vec(any::<u8>(), 1..64),
        edits in prop::collection::vec((any::<prop::sample::Index>(), prop::sample::select(PIECES), any::<bool>()), 1..4),
    ) {
        let mut text = render(&t, &mut Choices { bytes: layout, at: 0, tame: false, on_dash_line: false });
        for (at, piece, insert) in edits {
            let chars: Vec<char> = text.chars().collect();
            let i = at.index(chars.len() + 1);
            let (a, b) = chars.split_at(i);
            let (a, b): (String, String) = (a.iter().collect(), b.iter().collect());
            text = if insert {
                format!("{a}{piece}{b}")
            } else {
                format!("{a}{}", b.chars().skip(1).collect::<String>())
            };
        }
        same_as_saphyr(&text)?;
    }
}

/// Tame records — the shape gitsm and people write — must take the fast path
/// (or it would silently stop being fast).
fn tame_tree() -> impl Strategy<Value = Tree> {
    let keys = "[a-z][a-z_]{0,6}".boxed();
    let scalars = prop_oneof![
        "[a-zA-Z0-9][a-zA-Z0-9 .,;()/é-]{0,12}[a-zA-Z0-9.)]",
        "20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]Z",
    ]
    .boxed();
    tree(keys, scalars)
        .prop_map(dedupe)
        .prop_filter("a collection at the root", |t| !matches!(t, Tree::Scalar(_)))
}

/// Drops repeated keys and empty collections.
fn dedupe(t: Tree) -> Tree {
    match t {
        Tree::Map(entries) => {
            let mut seen = std::collections::HashSet::new();
            let entries: Vec<_> = entries
                .into_iter()
                .filter(|(k, _)| seen.insert(k.clone()))
                .map(|(k, v)| (k, dedupe(v)))
                .collect();
            if entries.is_empty() {
                Tree::Scalar("x".into())
            } else {
                Tree::Map(entries)
            }
        }
        Tree::Seq(items) if items.is_empty() => Tree::Scalar("x".into()),
        Tree::Seq(items) => Tree::Seq(items.into_iter().map(dedupe).collect()),
        s => s,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn tame_records_take_the_fast_path(t in tame_tree(), layout in prop::collection::vec(any::<u8>(), 1..64)) {
        let text = render(&t, &mut Choices { bytes: layout, at: 0, tame: true, on_dash_line: false });
        prop_assert!(same_as_saphyr(&text)?, "left to saphyr: {:?}", text);
    }
}

#[test]
fn large_mappings_stay_on_the_fast_path_until_a_key_repeats() {
    let mut text: String = (0..40).map(|i| format!("k{i}: {i}\n")).collect();
    let doc = parse_fast_path(&text).expect("40 plain keys are fast").unwrap();
    assert_eq!(Ok(Some(doc)), parse_with_saphyr(&text));
    // A repeat after the set of seen keys took over, and before it.
    text.push_str("k3: again\n");
    assert_eq!(parse_fast_path(&text), None);
    assert_eq!(parse_fast_path("a: 1\nb: 2\na: 3\n"), None);
    // The finding is saphyr's, on the repeated key's line.
    let e = gitsm::yaml::parse(&text).unwrap_err();
    assert_eq!((e.code, e.pos.line), (gitsm::diag::Code::DuplicateKey, 41));
}

/// `GITSM_YAML_DIR=path cargo test --test integration -- --ignored fast_path_coverage`:
/// which files of a repo the fast path leaves to saphyr, and whether it reads
/// the others the same (a check to run on a real or generated repo).
#[test]
#[ignore = "reads the repo named by GITSM_YAML_DIR"]
fn fast_path_coverage_of_a_repo() {
    let dir = std::env::var("GITSM_YAML_DIR").expect("GITSM_YAML_DIR");
    let mut files = Vec::new();
    yaml_files(Path::new(&dir), &mut files);
    let mut slow = 0;
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        match parse_fast_path(&text) {
            Some(doc) => assert_eq!(Ok(doc), parse_with_saphyr(&text), "{}", f.display()),
            None => {
                slow += 1;
                if slow <= 20 {
                    eprintln!("left to saphyr: {}", f.display());
                }
            }
        }
    }
    eprintln!("{slow} of {} files left to saphyr", files.len());
}
