#!/usr/bin/env python3
"""A small voice/psychological-safety contagion model, written as an ordinary
Mesa 3.x model (peer benchmark for ideaflow).

N employees in teams of 10 (team = consecutive ids). Each has psychological
safety psi in [0,1] (initially Beta(3,7), mean 0.3) and motivation 0.5.
Each weekly step:
  1. every employee generates Poisson(0.3) ideas; each idea is voiced with
     probability 1/(1+exp(-(-3 + 4*psi))); a voiced idea is accepted with
     probability 0.3. Acceptance: psi += 0.01*(1-psi); rejection:
     psi -= 0.02*psi (psi is updated idea by idea);
  2. then every employee's psi moves 2% toward its team's mean psi (team
     means taken after phase 1, all employees updated together).
Total voiced and accepted ideas are counted over the run.

Usage:
    python3 benches/peers/climate_mesa.py --employees 2000 --steps 104 --seed 1
"""

import argparse
import math
import time

import mesa

TEAM_SIZE = 10
IDEA_RATE = 0.3
VOICE_BIAS = -3.0
VOICE_SLOPE = 4.0
P_ACCEPT = 0.3
GAIN = 0.01
LOSS = 0.02
CONFORM = 0.02


class Employee(mesa.Agent):
    def __init__(self, model, team, psi):
        super().__init__(model)
        self.team = team
        self.psi = psi
        self.motivation = 0.5

    def step(self):
        """Generate ideas, decide whether to voice each, learn from outcomes."""
        model = self.model
        n_ideas = model.rng.poisson(IDEA_RATE)
        for _ in range(n_ideas):
            p_voice = 1.0 / (1.0 + math.exp(-(VOICE_BIAS + VOICE_SLOPE * self.psi)))
            if self.random.random() < p_voice:
                model.voiced += 1
                if self.random.random() < P_ACCEPT:
                    model.accepted += 1
                    self.psi += GAIN * (1.0 - self.psi)
                else:
                    self.psi -= LOSS * self.psi


class ClimateModel(mesa.Model):
    def __init__(self, n_employees, seed=None):
        super().__init__(seed=seed)
        self.voiced = 0
        self.accepted = 0
        psis = self.rng.beta(3.0, 7.0, size=n_employees)
        employees = [Employee(self, i // TEAM_SIZE, float(psis[i]))
                     for i in range(n_employees)]
        # Teams are fixed: keep each team's members together.
        self.teams = [employees[i:i + TEAM_SIZE]
                      for i in range(0, n_employees, TEAM_SIZE)]

    def step(self):
        self.agents.do("step")
        # Conformity: move 2% toward the team mean (means from current state).
        for members in self.teams:
            mean = sum(e.psi for e in members) / len(members)
            for e in members:
                e.psi += CONFORM * (mean - e.psi)

    def mean_psi(self):
        return sum(a.psi for a in self.agents) / len(self.agents)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--employees", type=int, required=True)
    ap.add_argument("--steps", type=int, required=True)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    model = ClimateModel(args.employees, seed=args.seed)

    t0 = time.perf_counter()
    for _ in range(args.steps):
        model.step()
    elapsed = time.perf_counter() - t0

    print(f"voiced={model.voiced}")
    print(f"accepted={model.accepted}")
    print(f"mean_psi={model.mean_psi():.6f}")
    print(f"peer_seconds={elapsed:.6f}")
    print(f"agent_steps={args.employees * args.steps}")


if __name__ == "__main__":
    main()
