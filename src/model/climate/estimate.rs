//! What one run of the climate model needs, for the engine's estimates
//! before a sweep starts (docs/performance.md has the measurements).

use crate::param::ParamSet;

/// Teams in a run.
pub fn teams(params: &ParamSet) -> u64 {
    params
        .u64("climate.organisation.departments")
        .saturating_mul(params.u64("climate.organisation.teams_per_department"))
}

/// Peak bytes of one run: about 130 bytes per employee plus 8 per weak tie
/// (10^6 employees with 4 weak ties: 173 MB), and 256 per team, measured
/// with `/usr/bin/time -f %M`.
pub fn memory_per_run(params: &ParamSet) -> u64 {
    let size = if params.str("climate.organisation.team_size_distribution") == "fixed" {
        params.u64("climate.organisation.team_size")
    } else {
        params.u64("climate.organisation.team_size_max")
    };
    let ties = params.u64("climate.organisation.weak_ties");
    let teams = teams(params);
    teams
        .saturating_mul(size)
        .saturating_mul(130 + 8 * ties)
        .saturating_add(teams.saturating_mul(256))
}
