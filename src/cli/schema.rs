use super::{Globals, OK};
use gitsm::model::Kind;
use std::path::PathBuf;

/// Write the JSON Schemas of every record kind
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  gitsm schema --out schemas\n  gitsm schema            # print all schemas as one JSON object"
)]
pub struct Args {
    /// Folder to write `<kind>.json` files into (default: print to stdout)
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

pub fn run(_g: &Globals, a: Args) -> anyhow::Result<i32> {
    match a.out {
        Some(dir) => {
            for kind in Kind::ALL {
                let path = dir.join(kind.schema_file());
                let body = serde_json::to_string_pretty(&gitsm::schema::schema_for(kind))? + "\n";
                gitsm::fsutil::write_atomic(&path, body.as_bytes())?;
                println!("{}", path.display());
            }
            // The shape of the status page's status.json, for its consumers.
            let path = dir.join("status.json");
            let body = serde_json::to_string_pretty(&gitsm::status::doc::schema())? + "\n";
            gitsm::fsutil::write_atomic(&path, body.as_bytes())?;
            println!("{}", path.display());
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
    Ok(OK)
}
