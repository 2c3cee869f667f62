//! Code learning from a majority (March 1991).

use rand::Rng;
use rand::distr::{Bernoulli, Distribution};

use super::{ColumnCounter, Dims, Ternary};

/// Code learning from a majority (March 1991): on each dimension where the
/// majority `maj` (+1/-1, with margin `k`) differs from the code, the code
/// moves with probability `1 - (1 - p2)^k`: straight to the majority
/// (`jump`) or one step toward it (`stepwise`, as in March's BASIC code).
#[derive(Clone, Debug)]
pub struct CodeLearning {
    /// `adopt[k]` = 1 - (1 - p2)^k as a Bernoulli, for k = 0..=n.
    adopt: Vec<Bernoulli>,
    /// Jump (true) or step through 0 (false).
    pub jump: bool,
}

impl CodeLearning {
    /// Learning with rate p2 for majorities of up to `n` votes.
    pub fn new(p2: f64, n: usize, jump: bool) -> CodeLearning {
        let adopt = (0..=n)
            .map(|k| {
                let p = 1.0 - (1.0 - p2).powi(k as i32);
                Bernoulli::new(p.clamp(0.0, 1.0))
                    .unwrap_or(Bernoulli::new(0.0).expect("0 is a probability"))
            })
            .collect();
        CodeLearning { adopt, jump }
    }

    /// Updates `code` from per-dimension votes: `plus` counts +1 votes on
    /// dimension d out of `voters`. One draw per dimension where the
    /// majority differs from the code, in increasing d.
    pub fn learn<R: Rng + ?Sized>(
        &self,
        code: &mut Ternary,
        votes: &ColumnCounter,
        dims: Dims,
        rng: &mut R,
    ) {
        let voters = votes.added();
        if voters == 0 {
            return;
        }
        let mut maj_plus = 0u64;
        let mut maj_minus = 0u64;
        let mut moved = 0u64;
        for d in 0..dims.m() {
            let plus = votes.count(d);
            let minus = voters - plus;
            if plus == minus {
                continue;
            }
            let bit = 1u64 << d;
            let maj_is_plus = plus > minus;
            let agrees = code.nz & bit != 0 && ((code.pos & bit != 0) == maj_is_plus);
            if agrees {
                continue;
            }
            let k = plus.abs_diff(minus) as usize;
            if self.adopt[k.min(self.adopt.len() - 1)].sample(rng) {
                moved |= bit;
                if maj_is_plus {
                    maj_plus |= bit;
                } else {
                    maj_minus |= bit;
                }
            }
        }
        let target = Ternary {
            nz: maj_plus | maj_minus,
            pos: maj_plus,
        };
        if self.jump {
            code.copy_from(target, moved);
        } else {
            code.step_toward(target, moved);
        }
    }
}
