//! What an experiment will need before it starts: rows and bytes per
//! output file and peak memory, and the guard that asks for `--yes` when
//! the output would not fit on the disk or the memory not in the machine.
//!
//! The estimates are deliberately simple: bytes per row from the width of
//! each column's typical text, memory from per-agent footprints measured
//! on this implementation (docs/performance.md). They aim at the right
//! order of magnitude (within a factor of two), which is what a guard
//! against a sweep that cannot finish needs; see tests/guards.rs for how
//! close they come on the bundled scenarios.

use std::path::Path;

use crate::error::Error;
use crate::model::ModelKind;
use crate::output::CsvFile;
use crate::output::registry::Shape;
use crate::param::ParamSet;
use crate::scenario::Experiment;

/// Points examined one by one for the largest run; beyond this, the rest
/// are assumed like those examined.
const POINTS_EXAMINED: u64 = 100_000;

/// Memory of the program itself (binary, thread stacks, buffers).
const BASE_MEMORY: u64 = 16 << 20;

/// Output buffer per file.
const FILE_BUFFER: u64 = 1 << 20;

/// An experiment's needs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Estimate {
    /// Each file written: name, data rows, bytes.
    pub files: Vec<(&'static str, u64, u64)>,
    /// Peak memory in bytes.
    pub memory: u64,
    /// Worker threads assumed.
    pub threads: usize,
}

impl Estimate {
    /// Total bytes written.
    pub fn output_bytes(&self) -> u64 {
        self.files.iter().map(|f| f.2).sum()
    }
}

fn digits(n: u64) -> u64 {
    u64::from(n.max(1).ilog10()) + 1
}

/// Peak bytes of one run of `model` with `params` (the model knows:
/// [`ModelKind::memory_per_run`]).
pub fn memory_per_run(model: ModelKind, params: &ParamSet) -> u64 {
    model.memory_per_run(params)
}

/// Estimates what `exp` will write and need on `threads` workers.
pub fn estimate(exp: &Experiment, threads: usize) -> Estimate {
    let threads = threads.max(1) as u64;
    let defs = exp.metric_defs();
    let runs = exp.runs();
    let swept_width: u64 = exp
        .axes
        .iter()
        .map(|a| {
            let total: usize = a.values.iter().map(|v| v.to_field().len()).sum();
            (total / a.values.len().max(1)) as u64 + 1
        })
        .sum();
    let ids = digits(runs) + digits(exp.points()) + digits(exp.replicates) + 16 + 4;

    // The largest run and the rows of every point.
    let (mut max_memory, mut max_rows, mut team_rows_per_rep) = (0u64, 0u64, 0u64);
    let mut rows_per_rep = 0u64;
    let examined = exp.points().min(POINTS_EXAMINED);
    for p in 0..examined {
        let params = exp.point(p);
        let steps = exp.steps_at(&params);
        let rows = exp.rows_per_run(steps);
        max_memory = max_memory.max(memory_per_run(exp.model, &params));
        max_rows = max_rows.max(rows);
        rows_per_rep = rows_per_rep.saturating_add(rows);
        team_rows_per_rep =
            team_rows_per_rep.saturating_add(rows.saturating_mul(exp.model.team_count(&params)));
    }
    let scale = |x: u64| {
        if examined == 0 {
            0
        } else {
            (x as f64 * exp.points() as f64 / examined as f64) as u64
        }
    };
    let shape = Shape {
        runs,
        replicates: exp.replicates,
        rows_per_replicate: scale(rows_per_rep),
        team_rows_per_replicate: scale(team_rows_per_rep),
        max_rows,
        summary_rows: exp.summary_rows(),
        ids_width: ids,
        point_width: digits(exp.points()),
        step_width: digits(exp.base.u64("steps")) + 1,
        swept_width,
    };

    // Each file the experiment writes, and a run's formatted rows held
    // until written.
    let layout = super::layout(exp);
    let mut files = Vec::new();
    let mut record = max_rows.saturating_mul(defs.len() as u64 * 8);
    for file in CsvFile::written_by(super::switches(exp)) {
        let size = (file.spec().estimate)(&shape, &layout);
        files.push((file.name(), size.rows, size.bytes));
        record = record.saturating_add(size.held_per_run);
    }

    // Workers hold one model each; finished records wait in the ordered
    // window; the summary holds a point's accumulators.
    let window = (super::WINDOW_PER_THREAD as u64 * threads).min(runs);
    let memory = BASE_MEMORY
        .saturating_add(max_memory.saturating_mul(threads.min(runs)))
        .saturating_add(record.saturating_mul(window))
        .saturating_add(max_rows.saturating_mul(defs.len() as u64 * 24))
        .saturating_add(FILE_BUFFER * files.len() as u64);
    Estimate {
        files,
        memory,
        threads: threads as usize,
    }
}

/// Formats bytes for people: "512 B", "3.4 MB", "1.20 GB" (powers of 1000).
pub fn human_bytes(b: u64) -> String {
    const UNITS: [&str; 6] = ["B", "kB", "MB", "GB", "TB", "PB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1000.0 && u < UNITS.len() - 1 {
        v /= 1000.0;
        u += 1;
    }
    match u {
        0 => format!("{b} B"),
        _ if v < 10.0 => format!("{v:.2} {}", UNITS[u]),
        _ if v < 100.0 => format!("{v:.1} {}", UNITS[u]),
        _ => format!("{v:.0} {}", UNITS[u]),
    }
}

/// Free bytes on the file system that holds `dir` (or its nearest existing
/// ancestor); None when unknown.
pub fn free_disk(dir: &Path) -> Option<u64> {
    let mut p = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    loop {
        if p.exists() {
            // Pseudo file systems (/proc, /sys) report no size at all.
            return match fs4::total_space(p) {
                Ok(0) | Err(_) => None,
                Ok(_) => fs4::available_space(p).ok(),
            };
        }
        p = match p.parent() {
            Some(q) if !q.as_os_str().is_empty() => q,
            _ => Path::new("."),
        };
    }
}

/// The machine's physical memory in bytes; None when unknown.
pub fn machine_memory() -> Option<u64> {
    let mut sys = sysinfo::System::new();
    sys.refresh_memory();
    match sys.total_memory() {
        0 => None,
        m => Some(m),
    }
}

/// Refuses an experiment whose output (the `remaining` share of it) would
/// not fit on the disk, or whose memory would exceed the machine's.
pub fn guard(est: &Estimate, remaining: f64, out_dir: &Path) -> Result<(), Error> {
    let output = (est.output_bytes() as f64 * remaining) as u64;
    let mut problems = Vec::new();
    if let Some(free) = free_disk(out_dir)
        && output > free
    {
        problems.push(format!(
            "it would write about {} to {} but only {} is free there (switch off timeseries.csv with [output] timeseries = false, or write every k-th step with [output] every = k)",
            human_bytes(output),
            out_dir.display(),
            human_bytes(free)
        ));
    }
    if let Some(total) = machine_memory()
        && est.memory > total
    {
        problems.push(format!(
            "it would need about {} of memory on {} threads but the machine has {} (use fewer --threads or smaller runs)",
            human_bytes(est.memory),
            est.threads,
            human_bytes(total)
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error::TooBig(problems))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_read_like_people_write_them() {
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(1_234_000), "1.23 MB");
        assert_eq!(human_bytes(45_600_000_000), "45.6 GB");
        assert_eq!(human_bytes(456_000_000_000), "456 GB");
    }
}
