//! The seven-step response as a state machine: which steps are done, which may be
//! recorded next, and which step is missing when one comes out of order. Pure.
//!
//! The plan's order is report, isolate, transfer, trace, report upward, disinfect,
//! aftermath. Two pairs may run side by side, because the plan's people do them at
//! the same time:
//! - tracing (4) may start once the person is isolated (2), while the transfer (3) is
//!   still being arranged: contacts are traced while waiting for the ambulance;
//! - disinfection (6) may be ordered once the person has left (3) and the trajectory is
//!   known (4), alongside the upward report (5).
//!
//! The aftermath (7) needs both 5 and 6; closing needs 7.

use std::collections::BTreeSet;

/// A step of the response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Step {
    /// 1: report to the emergency team and leadership; duty posts manned.
    Report = 1,
    /// 2: isolate in an isolation room; community and prevention center told.
    Isolation = 2,
    /// 3: transfer to the fever clinic (family, else 120, else the command's escort).
    Transfer = 3,
    /// 4: trace contacts; staff temperature sweep; tests.
    Tracing = 4,
    /// 5: report upward to leadership, the city epidemic command and the CDC.
    UpwardReport = 5,
    /// 6: disinfect the isolation room and every zone on the trajectory.
    Disinfection = 6,
    /// 7: aftermath notes.
    Aftermath = 7,
}

impl Step {
    /// Every step in order.
    pub const ALL: [Step; 7] = [
        Step::Report,
        Step::Isolation,
        Step::Transfer,
        Step::Tracing,
        Step::UpwardReport,
        Step::Disinfection,
        Step::Aftermath,
    ];

    /// The step with a number.
    pub fn from_number(number: u32) -> Option<Step> {
        Step::ALL.into_iter().find(|step| *step as u32 == number)
    }

    /// Its name in words.
    pub fn name(self) -> &'static str {
        match self {
            Step::Report => "report",
            Step::Isolation => "isolation",
            Step::Transfer => "hospital transfer",
            Step::Tracing => "tracing",
            Step::UpwardReport => "upward report",
            Step::Disinfection => "disinfection",
            Step::Aftermath => "aftermath",
        }
    }

    /// The steps that must be done before this one.
    pub fn requires(self) -> &'static [Step] {
        match self {
            Step::Report => &[],
            Step::Isolation => &[Step::Report],
            Step::Transfer | Step::Tracing => &[Step::Isolation],
            Step::UpwardReport => &[Step::Transfer, Step::Tracing],
            Step::Disinfection => &[Step::Transfer, Step::Tracing],
            Step::Aftermath => &[Step::UpwardReport, Step::Disinfection],
        }
    }
}

/// Why a step cannot be recorded now.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutOfOrder {
    /// A step it needs is not done.
    #[error("step {} ({}) must be recorded before step {} ({})", *.missing as u32, .missing.name(), *.step as u32, .step.name())]
    Missing {
        /// The step asked for.
        step: Step,
        /// The first step it needs that is not done.
        missing: Step,
    },
    /// The incident is closed.
    #[error("the incident is closed")]
    Closed,
}

/// The steps done so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    done: BTreeSet<Step>,
    closed: bool,
}

impl Progress {
    /// From the stored list of step numbers.
    pub fn from_numbers(numbers: &[u32], closed: bool) -> Self {
        Self {
            done: numbers.iter().filter_map(|n| Step::from_number(*n)).collect(),
            closed,
        }
    }

    /// The step numbers done, in order.
    pub fn numbers(&self) -> Vec<u32> {
        self.done.iter().map(|s| *s as u32).collect()
    }

    /// Whether a step is done.
    pub fn is_done(&self, step: Step) -> bool {
        self.done.contains(&step)
    }

    /// Whether `step` may be recorded (again: a step may be recorded more than once,
    /// e.g. several transfer attempts, while the incident is open).
    pub fn check(&self, step: Step) -> Result<(), OutOfOrder> {
        if self.closed {
            return Err(OutOfOrder::Closed);
        }
        match step.requires().iter().find(|needed| !self.done.contains(needed)) {
            Some(missing) => Err(OutOfOrder::Missing {
                step,
                missing: *missing,
            }),
            None => Ok(()),
        }
    }

    /// Marks a step done.
    pub fn complete(&mut self, step: Step) {
        self.done.insert(step);
    }

    /// Whether the incident may be closed.
    pub fn check_close(&self) -> Result<(), OutOfOrder> {
        self.check(Step::Aftermath)?;
        if !self.is_done(Step::Aftermath) {
            return Err(OutOfOrder::Missing {
                step: Step::Aftermath,
                missing: Step::Aftermath,
            });
        }
        Ok(())
    }

    /// Closes it.
    pub fn close(&mut self) {
        self.closed = true;
    }

    /// The state number of the contract: 0 before the report, the highest step done in
    /// unbroken order (so a tracing done before the transfer shows as ISOLATED), 7 once
    /// closed.
    pub fn state(&self) -> u32 {
        if self.closed {
            return 7;
        }
        Step::ALL
            .iter()
            .take_while(|step| self.done.contains(step))
            .last()
            .map_or(0, |step| (*step as u32).min(6))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_out_of_order_name_the_missing_step() {
        let progress = Progress::default();
        assert_eq!(
            progress.check(Step::Isolation),
            Err(OutOfOrder::Missing {
                step: Step::Isolation,
                missing: Step::Report
            })
        );
        let message = progress.check(Step::Isolation).unwrap_err().to_string();
        assert_eq!(
            message,
            "step 1 (report) must be recorded before step 2 (isolation)"
        );
    }

    #[test]
    fn tracing_runs_beside_the_transfer_and_disinfection_beside_the_upward_report() {
        let mut progress = Progress::default();
        for step in [Step::Report, Step::Isolation] {
            progress.check(step).unwrap();
            progress.complete(step);
        }
        assert!(
            progress.check(Step::Tracing).is_ok(),
            "tracing while waiting for transport"
        );
        progress.complete(Step::Tracing);
        assert_eq!(progress.state(), 2, "shown as isolated until the transfer");
        assert!(progress.check(Step::UpwardReport).is_err());
        progress.complete(Step::Transfer);
        assert_eq!(progress.state(), 4);
        assert!(progress.check(Step::Disinfection).is_ok());
        progress.complete(Step::Disinfection);
        assert_eq!(
            progress.check(Step::Aftermath),
            Err(OutOfOrder::Missing {
                step: Step::Aftermath,
                missing: Step::UpwardReport
            })
        );
        progress.complete(Step::UpwardReport);
        progress.complete(Step::Aftermath);
        progress.check_close().unwrap();
        progress.close();
        assert_eq!(progress.state(), 7);
        assert_eq!(progress.check(Step::Report), Err(OutOfOrder::Closed));
    }
}
