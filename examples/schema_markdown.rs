//! Prints the scenario keys of a model as markdown tables, one per table of
//! the scenario file, for docs/scenario.md:
//! `cargo run --example schema_markdown -- climate`.

use ideaflow::model::ModelKind;
use ideaflow::scenario::schema::{self, Default};

fn main() {
    let name = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "climate".to_string());
    let Some(model) = ModelKind::from_name(&name) else {
        eprintln!("unknown model {name}");
        std::process::exit(2);
    };
    let mut section = "";
    for f in model.fields() {
        if f.section() != section {
            section = f.section();
            println!("\n## `[{section}]`\n");
            println!("| key | type and range | default | meaning |");
            println!("|---|---|---|---|");
        }
        let default = match f.default {
            Default::Int(i) => i.to_string(),
            Default::Float(x) => ideaflow::scenario::value::format_f64(x),
            Default::Str(s) => format!("`\"{s}\"`"),
            Default::Bool(b) => format!("`{b}`"),
            Default::FileStem => "file stem".into(),
            Default::AllMetrics => "all".into(),
        };
        let sweep = if f.sweepable { "" } else { " Not sweepable." };
        println!(
            "| `{}` | {} | {} | {}.{} |",
            f.key(),
            f.expected(),
            default,
            f.doc,
            sweep
        );
    }
    let _ = schema::MODEL_NAMES;
}
