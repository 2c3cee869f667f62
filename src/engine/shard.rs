//! Shards: an experiment's runs split for a cluster, shard `I/N` holding
//! the runs whose index modulo N is I.

/// Most shards an experiment may be split into (far more than a cluster
/// runs at once; Slurm's largest job array is 4,000,001 tasks, its default
/// 1,001); `merge` refuses more.
pub const MAX_SHARDS: u64 = 1_000_000;

/// One of `count` shards of an experiment's runs: the runs whose index
/// modulo `count` is `index`, so that every shard holds a share of every
/// sweep point and a few finished shards already cover the whole design.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Shard {
    /// 0-based shard index.
    pub index: u64,
    /// Number of shards.
    pub count: u64,
}

impl Shard {
    /// Runs of an experiment of `runs` runs in this shard.
    pub fn runs(self, runs: u64) -> u64 {
        if self.index >= runs {
            0
        } else {
            (runs - self.index).div_ceil(self.count)
        }
    }
}

impl std::str::FromStr for Shard {
    type Err = String;

    /// Parses `I/N`.
    fn from_str(s: &str) -> Result<Shard, String> {
        let (i, n) = s
            .split_once('/')
            .ok_or_else(|| format!("expected I/N (e.g. 0/4), found `{s}`"))?;
        let index: u64 = i
            .trim()
            .parse()
            .map_err(|_| format!("expected a shard index before `/`, found `{i}`"))?;
        let count: u64 = n
            .trim()
            .parse()
            .map_err(|_| format!("expected a shard count after `/`, found `{n}`"))?;
        if count == 0 || index >= count {
            return Err(format!("expected 0 <= I < N in I/N, found {index}/{count}"));
        }
        if count > MAX_SHARDS {
            return Err(format!(
                "expected at most {MAX_SHARDS} shards, found N = {count}"
            ));
        }
        Ok(Shard { index, count })
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}
