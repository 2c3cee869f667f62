//! Leadership styles (docs/model.md §3.3): openness O, support S, control K,
//! failure tolerance F and delegation D, each in [0, 1], with the presets of
//! the starting defaults (docs/model.md §3.8.1).
//!
//! Each style has an *opening* phase (used while ideas are generated and
//! voiced, and for the climate it sets) and a *closing* phase (used while
//! ideas are selected and tried, and for control over socialisation). They
//! are equal except for the ambidextrous leader, who opens like a
//! facilitating leader and closes with K = 0.7, S = 0.8 (Rosing, Frese &
//! Bausch 2011). Laissez-faire is low support and low uptake, not autonomy
//! (Judge & Piccolo 2004).

use rand::{Rng, RngExt};
use rand_distr::{Distribution, Normal};

/// The five dimensions of a leader's style.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Style {
    /// Openness O: invites and welcomes ideas.
    pub openness: f64,
    /// Support S: backs ideas with time and resources.
    pub support: f64,
    /// Control K: enforces the team's code.
    pub control: f64,
    /// Failure tolerance F.
    pub failure_tolerance: f64,
    /// Delegation D (empowering leadership).
    pub delegation: f64,
}

impl Style {
    const fn new(o: f64, s: f64, k: f64, f: f64, d: f64) -> Style {
        Style {
            openness: o,
            support: s,
            control: k,
            failure_tolerance: f,
            delegation: d,
        }
    }

    fn values(self) -> [f64; 5] {
        [
            self.openness,
            self.support,
            self.control,
            self.failure_tolerance,
            self.delegation,
        ]
    }

    fn from_values(v: [f64; 5]) -> Style {
        Style::new(v[0], v[1], v[2], v[3], v[4])
    }

    /// This style plus `w` times `other`, dimension by dimension (not
    /// clamped).
    pub fn plus(self, other: Style, w: f64) -> Style {
        let (a, b) = (self.values(), other.values());
        Style::from_values(std::array::from_fn(|i| a[i] + w * b[i]))
    }

    /// This style minus `other`, dimension by dimension.
    pub fn minus(self, other: Style) -> Style {
        self.plus(other, -1.0)
    }

    /// Every dimension clamped to [0, 1].
    pub fn clamped(self) -> Style {
        Style::from_values(self.values().map(|v| v.clamp(0.0, 1.0)))
    }

    /// Adds `shift` to every dimension, clamped to [0, 1].
    pub fn shifted(self, shift: Style) -> Style {
        let (a, b) = (self.values(), shift.values());
        Style::from_values(std::array::from_fn(|i| (a[i] + b[i]).clamp(0.0, 1.0)))
    }
}

/// A preset: its opening and closing phases.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Preset {
    /// Name in scenario files.
    pub name: &'static str,
    /// While ideas are generated and voiced.
    pub open: Style,
    /// While ideas are selected and tried.
    pub close: Style,
}

const DIRECTIVE: Style = Style::new(0.3, 0.4, 0.8, 0.2, 0.1);
const TRANSACTIONAL: Style = Style::new(0.4, 0.5, 0.6, 0.3, 0.3);
const FACILITATING: Style = Style::new(0.8, 0.8, 0.3, 0.7, 0.6);
const LAISSEZ_FAIRE: Style = Style::new(0.4, 0.2, 0.1, 0.5, 0.3);
const AMBIDEXTROUS_CLOSE: Style = Style::new(0.8, 0.8, 0.7, 0.7, 0.6);

/// The presets (docs/model.md §3.3), in the order of `STYLE_NAMES`.
pub const PRESETS: [Preset; 5] = [
    Preset {
        name: "directive",
        open: DIRECTIVE,
        close: DIRECTIVE,
    },
    Preset {
        name: "transactional",
        open: TRANSACTIONAL,
        close: TRANSACTIONAL,
    },
    Preset {
        name: "facilitating",
        open: FACILITATING,
        close: FACILITATING,
    },
    Preset {
        name: "laissez_faire",
        open: LAISSEZ_FAIRE,
        close: LAISSEZ_FAIRE,
    },
    Preset {
        name: "ambidextrous",
        open: FACILITATING,
        close: AMBIDEXTROUS_CLOSE,
    },
];

/// A value drawn from Normal(mean, sd) truncated to [0, 1] (redrawn; after
/// 64 misses, clamped, which only happens for means far outside [0, 1]).
pub fn truncated_unit<R: Rng + ?Sized>(rng: &mut R, mean: f64, sd: f64) -> f64 {
    if sd <= 0.0 {
        return mean.clamp(0.0, 1.0);
    }
    let Ok(normal) = Normal::new(mean, sd) else {
        return mean.clamp(0.0, 1.0);
    };
    for _ in 0..64 {
        let x = normal.sample(rng);
        if (0.0..=1.0).contains(&x) {
            return x;
        }
    }
    mean.clamp(0.0, 1.0)
}

/// One leader: each dimension of the opening phase drawn from
/// Normal(preset value, spread) truncated to [0, 1]; the closing phase moves
/// by the same deviation (so an ambidextrous leader stays ambidextrous);
/// then both are shifted.
pub fn draw_leader<R: Rng + ?Sized>(
    rng: &mut R,
    preset: &Preset,
    spread: f64,
    shift: Style,
) -> (Style, Style) {
    let open = preset.open.values();
    let close = preset.close.values();
    let drawn: [f64; 5] = std::array::from_fn(|i| truncated_unit(rng, open[i], spread));
    let open = Style::from_values(drawn);
    let close = Style::from_values(std::array::from_fn(|i| {
        (close[i] + drawn[i] - preset.open.values()[i]).clamp(0.0, 1.0)
    }));
    (open.shifted(shift), close.shifted(shift))
}

/// Which preset each of `teams` teams gets: `style` for all when every mix
/// share is 0; otherwise teams in proportion to the shares (largest
/// remainders), assigned in a random order so styles are spread across
/// departments.
pub fn assign<R: Rng + ?Sized>(
    rng: &mut R,
    teams: usize,
    style: usize,
    mix: &[f64; 5],
) -> Vec<usize> {
    let total: f64 = mix.iter().sum();
    if total <= 0.0 {
        return vec![style; teams];
    }
    let exact: Vec<f64> = mix.iter().map(|m| m / total * teams as f64).collect();
    let mut counts: Vec<usize> = exact.iter().map(|x| x.floor() as usize).collect();
    let mut order: Vec<usize> = (0..5).collect();
    order.sort_by(|&a, &b| {
        (exact[b] - exact[b].floor())
            .total_cmp(&(exact[a] - exact[a].floor()))
            .then(a.cmp(&b))
    });
    let mut left = teams - counts.iter().sum::<usize>();
    for &i in order.iter().cycle() {
        if left == 0 {
            break;
        }
        if mix[i] > 0.0 {
            counts[i] += 1;
            left -= 1;
        }
    }
    let mut out: Vec<usize> = counts
        .iter()
        .enumerate()
        .flat_map(|(i, &c)| std::iter::repeat_n(i, c))
        .collect();
    // Fisher-Yates shuffle.
    for i in (1..out.len()).rev() {
        let j = rng.random_range(0..=i);
        out.swap(i, j);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Purpose, stream};

    #[test]
    fn presets_match_model_md() {
        assert_eq!(PRESETS[0].open, Style::new(0.3, 0.4, 0.8, 0.2, 0.1));
        assert_eq!(PRESETS[2].open, Style::new(0.8, 0.8, 0.3, 0.7, 0.6));
        assert_eq!(PRESETS[4].close, Style::new(0.8, 0.8, 0.7, 0.7, 0.6));
        assert_eq!(PRESETS[4].open, PRESETS[2].open);
    }

    #[test]
    fn mix_assigns_teams_in_proportion() {
        let mut r = stream(1, Purpose(1), 0, 0);
        let a = assign(&mut r, 20, 0, &[0.75, 0.25, 0.0, 0.0, 0.0]);
        assert_eq!(a.iter().filter(|&&s| s == 0).count(), 15);
        assert_eq!(a.iter().filter(|&&s| s == 1).count(), 5);
        let b = assign(&mut r, 7, 2, &[0.0; 5]);
        assert!(b.iter().all(|&s| s == 2));
        let c = assign(&mut r, 3, 0, &[1.0, 1.0, 1.0, 0.0, 0.0]);
        assert_eq!(c.len(), 3);
    }

    #[test]
    fn drawn_leaders_stay_in_the_unit_interval() {
        let mut r = stream(2, Purpose(1), 0, 0);
        for _ in 0..1000 {
            let (o, c) = draw_leader(&mut r, &PRESETS[0], 0.3, Style::default());
            for v in o.values().into_iter().chain(c.values()) {
                assert!((0.0..=1.0).contains(&v));
            }
        }
    }
}
