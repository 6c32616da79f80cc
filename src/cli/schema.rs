use super::{Exit, Failure, Globals};
use gitsm::fsutil::{self, Replace};
use gitsm::model::Kind;
use std::path::{Path, PathBuf};

/// Write the JSON Schemas of every record kind
#[derive(clap::Args, Debug)]
#[command(
    after_help = "An existing file in the folder is replaced only when it is a schema gitsm wrote.\n\n\
Examples:\n  gitsm schema --out schemas\n  gitsm schema            # print all schemas as one JSON object"
)]
pub struct Args {
    /// Folder to write `<kind>.json` files into (default: print to stdout)
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

/// Whether an existing file is a schema gitsm wrote: every schema it writes
/// is titled `gitsm <Kind>` near its top.
fn is_our_schema(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(512)];
    bytes.starts_with(b"{") && memchr::memmem::find(head, b"\"title\": \"gitsm ").is_some()
}

pub fn run(g: &Globals, a: Args) -> super::CommandResult {
    match a.out {
        Some(dir) => {
            let root = g.root().ok();
            let mut files: Vec<(String, serde_json::Value)> = Kind::ALL
                .iter()
                .map(|k| (k.schema_file(), gitsm::schema::schema_for(*k)))
                .collect();
            // The shape of the status page's status.json, for its consumers.
            files.push(("status.json".to_string(), gitsm::status::doc::schema()));
            if let (Some(root), Ok(d)) = (&root, fsutil::resolve_lexically(&dir)) {
                if let Some(why) = fsutil::forbidden_output(&d, root, false) {
                    return Err(Failure::refused(format!(
                        "--out {}: refusing to write there: {why}",
                        dir.display()
                    )));
                }
            }
            let (base, rel) = fsutil::split_given(&dir, root.as_deref());
            // Every file is checked before any is written.
            for (name, _) in &files {
                if let Err(e) = fsutil::check_target(&base, &rel.join(name), Replace::IfOurs(&is_our_schema))
                {
                    return Err(Failure::io(&e, e.is_refusal()));
                }
            }
            for (name, schema) in files {
                let body = serde_json::to_string_pretty(&schema)? + "\n";
                if let Err(e) = fsutil::write_file(
                    &base,
                    &rel.join(&name),
                    body.as_bytes(),
                    Replace::IfOurs(&is_our_schema),
                ) {
                    return Err(Failure::io(&e, e.is_refusal()));
                }
                println!("{}", Path::new(&dir).join(&name).display());
            }
        }
        None => {
            let mut all = serde_json::Map::new();
            for kind in Kind::ALL {
                all.insert(kind.name().to_string(), gitsm::schema::schema_for(kind));
            }
            all.insert("StatusJson".to_string(), gitsm::status::doc::schema());
            println!("{}", serde_json::to_string_pretty(&all)?);
        }
    }
    Ok(Exit::Success)
}
