//! Prints scenario keys as markdown tables for docs/scenario.md:
//! `cargo run --example schema_markdown -- climate` (one table per table of
//! the scenario file) or `-- interventions` (the common keys, then one
//! table per kind).

use ideaflow::model::ModelKind;
use ideaflow::model::climate::interventions::{COMMON, KINDS};
use ideaflow::scenario::schema::{Default, Field};

fn row(f: &Field) {
    let default = match f.default {
        Default::Int(i) => i.to_string(),
        Default::Float(x) => ideaflow::scenario::value::format_f64(x),
        Default::Str("") => "none".into(),
        Default::Str(s) => format!("`\"{s}\"`"),
        Default::Bool(b) => format!("`{b}`"),
        Default::FileStem => "file stem".into(),
        Default::AllMetrics => "all".into(),
        Default::EmptyList => "`[]`".into(),
    };
    let sweep = if f.sweepable { "" } else { " Not sweepable." };
    println!(
        "| `{}` | {} | {} | {}.{} |",
        f.path,
        f.expected(),
        default,
        f.doc,
        sweep
    );
}

fn header() {
    println!("| key | type and range | default | meaning |");
    println!("|---|---|---|---|");
}

fn main() {
    let name = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "climate".to_string());
    if name == "interventions" {
        println!("\n### Keys of every intervention\n");
        header();
        COMMON.iter().for_each(row);
        for kind in KINDS.iter() {
            println!("\n### `kind = \"{}\"`\n", kind.name);
            header();
            kind.fields.iter().for_each(row);
        }
        return;
    }
    let Some(model) = ModelKind::from_name(&name) else {
        eprintln!("unknown model {name}");
        std::process::exit(2);
    };
    let mut section = "";
    for f in model.fields() {
        if f.section() != section {
            section = f.section();
            println!("\n## `[{section}]`\n");
            header();
        }
        row(&Field {
            path: f.key(),
            ..*f
        });
    }
}
