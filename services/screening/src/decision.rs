//! The gate decision: pure rules over one check's readings. Thresholds and which findings
//! make a suspected case come from the hall's configuration, not from code.

use hallguard_domain::hall::{ScreeningRules, SuspectedCaseFinding};

/// Health code colour as read at the gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeColour {
    /// No known risk.
    Green,
    /// Under observation.
    Yellow,
    /// Confirmed, suspected or close contact.
    Red,
    /// No code: a person registered by hand.
    NoCode,
}

impl CodeColour {
    /// The stored name: `green`, `yellow`, `red`, `no_code`.
    pub fn name(self) -> &'static str {
        match self {
            CodeColour::Green => "green",
            CodeColour::Yellow => "yellow",
            CodeColour::Red => "red",
            CodeColour::NoCode => "no_code",
        }
    }
}

/// Why a gate did not simply admit someone (the order is the order reasons are listed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Reason {
    /// At or above the fever threshold.
    Fever,
    /// Yellow code.
    YellowCode,
    /// Red code.
    RedCode,
    /// Medium/high-risk area in the look-back window.
    RiskAreaTravel,
    /// No mask.
    NoMask,
    /// A quarantine hold is in force.
    QuarantineHold,
    /// A no-code registration whose entry is paused.
    RegistrationPaused,
    /// Symptoms seen or reported at the gate.
    Symptoms,
}

impl Reason {
    /// Every reason, in order.
    pub const ALL: [Reason; 8] = [
        Reason::Fever,
        Reason::YellowCode,
        Reason::RedCode,
        Reason::RiskAreaTravel,
        Reason::NoMask,
        Reason::QuarantineHold,
        Reason::RegistrationPaused,
        Reason::Symptoms,
    ];

    /// The stored name.
    pub fn name(self) -> &'static str {
        match self {
            Reason::Fever => "fever",
            Reason::YellowCode => "yellow_code",
            Reason::RedCode => "red_code",
            Reason::RiskAreaTravel => "risk_area_travel",
            Reason::NoMask => "no_mask",
            Reason::QuarantineHold => "quarantine_hold",
            Reason::RegistrationPaused => "registration_paused",
            Reason::Symptoms => "symptoms",
        }
    }

    /// The reason with a stored name.
    pub fn from_name(name: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|reason| reason.name() == name)
    }
}

/// The outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Let in.
    Admitted,
    /// Turned away with reasons.
    Refused,
    /// Held at the gate; an incident is opened.
    SuspectedCase,
}

impl Outcome {
    /// The stored name.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Admitted => "admitted",
            Outcome::Refused => "refused",
            Outcome::SuspectedCase => "suspected_case",
        }
    }

    /// The outcome with a stored name.
    pub fn from_name(name: &str) -> Option<Outcome> {
        [Outcome::Admitted, Outcome::Refused, Outcome::SuspectedCase]
            .into_iter()
            .find(|outcome| outcome.name() == name)
    }
}

/// What the gate saw, and what the records say about the person.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GateCheck {
    /// Measured temperature, °C.
    pub temperature_celsius: f64,
    /// Code colour.
    pub colour: CodeColour,
    /// Whether the itinerary or the registration shows risk-area travel in the window.
    pub risk_area_travel: bool,
    /// Mask worn.
    pub mask_worn: bool,
    /// A quarantine hold is in force.
    pub on_hold: bool,
    /// A no-code registration whose entry is paused.
    pub registration_paused: bool,
    /// Symptoms seen or reported at the gate.
    pub symptoms: bool,
}

/// The decision with every reason that applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Admitted, refused or suspected case.
    pub outcome: Outcome,
    /// Reasons, in [`Reason`] order.
    pub reasons: Vec<Reason>,
}

/// Decides one check under the hall's rules.
pub fn decide(rules: &ScreeningRules, check: &GateCheck) -> Decision {
    let mut reasons = Vec::new();
    if check.temperature_celsius >= rules.fever_threshold_celsius {
        reasons.push(Reason::Fever);
    }
    match check.colour {
        CodeColour::Yellow => reasons.push(Reason::YellowCode),
        CodeColour::Red => reasons.push(Reason::RedCode),
        CodeColour::Green | CodeColour::NoCode => {}
    }
    if check.risk_area_travel {
        reasons.push(Reason::RiskAreaTravel);
    }
    if !check.mask_worn {
        reasons.push(Reason::NoMask);
    }
    if check.on_hold {
        reasons.push(Reason::QuarantineHold);
    }
    if check.registration_paused {
        reasons.push(Reason::RegistrationPaused);
    }
    if check.symptoms {
        reasons.push(Reason::Symptoms);
    }
    let found = |findings: &[SuspectedCaseFinding]| {
        findings.iter().any(|finding| {
            let reason = match finding {
                SuspectedCaseFinding::RedCode => Reason::RedCode,
                SuspectedCaseFinding::YellowCode => Reason::YellowCode,
                SuspectedCaseFinding::RiskAreaTravel => Reason::RiskAreaTravel,
                SuspectedCaseFinding::NoMask => Reason::NoMask,
                SuspectedCaseFinding::Symptoms => Reason::Symptoms,
            };
            reasons.contains(&reason)
        })
    };
    let high_fever = check.temperature_celsius >= rules.suspected_case_fever_celsius;
    let suspected =
        (high_fever && found(&rules.suspected_case_with)) || found(&rules.suspected_case_without_fever);
    let outcome = if suspected {
        Outcome::SuspectedCase
    } else if reasons.is_empty() {
        Outcome::Admitted
    } else {
        Outcome::Refused
    };
    Decision { outcome, reasons }
}

#[cfg(test)]
mod tests {
    use hallguard_domain::hall::Hall;

    use super::*;

    fn healthy() -> GateCheck {
        GateCheck {
            temperature_celsius: 36.5,
            colour: CodeColour::Green,
            risk_area_travel: false,
            mask_worn: true,
            on_hold: false,
            registration_paused: false,
            symptoms: false,
        }
    }

    fn rules() -> ScreeningRules {
        Hall::sample().screening
    }

    #[test]
    fn a_healthy_masked_green_visitor_is_admitted() {
        let decision = decide(&rules(), &healthy());
        assert_eq!(decision.outcome, Outcome::Admitted);
        assert!(decision.reasons.is_empty());
    }

    #[test]
    fn each_finding_alone_refuses_with_its_reason() {
        let cases = [
            (
                GateCheck {
                    temperature_celsius: 37.3,
                    ..healthy()
                },
                Reason::Fever,
            ),
            (
                GateCheck {
                    colour: CodeColour::Yellow,
                    ..healthy()
                },
                Reason::YellowCode,
            ),
            (
                GateCheck {
                    colour: CodeColour::Red,
                    ..healthy()
                },
                Reason::RedCode,
            ),
            (
                GateCheck {
                    risk_area_travel: true,
                    ..healthy()
                },
                Reason::RiskAreaTravel,
            ),
            (
                GateCheck {
                    mask_worn: false,
                    ..healthy()
                },
                Reason::NoMask,
            ),
            (
                GateCheck {
                    on_hold: true,
                    ..healthy()
                },
                Reason::QuarantineHold,
            ),
            (
                GateCheck {
                    registration_paused: true,
                    ..healthy()
                },
                Reason::RegistrationPaused,
            ),
        ];
        for (check, reason) in cases {
            let decision = decide(&rules(), &check);
            assert_eq!(decision.outcome, Outcome::Refused, "{reason:?}");
            assert_eq!(decision.reasons, vec![reason]);
        }
        // Just under the threshold is no fever.
        let decision = decide(
            &rules(),
            &GateCheck {
                temperature_celsius: 37.29,
                ..healthy()
            },
        );
        assert_eq!(decision.outcome, Outcome::Admitted);
    }

    #[test]
    fn scenario_one_both_visitors_are_suspected_cases() {
        let red_code = GateCheck {
            temperature_celsius: 37.6,
            colour: CodeColour::Red,
            ..healthy()
        };
        let from_risk_area = GateCheck {
            temperature_celsius: 37.9,
            risk_area_travel: true,
            ..healthy()
        };
        for check in [red_code, from_risk_area] {
            assert_eq!(decide(&rules(), &check).outcome, Outcome::SuspectedCase);
        }
        // A high fever alone is refused, not escalated; a red code under 37.6 likewise.
        let fever_only = GateCheck {
            temperature_celsius: 38.0,
            ..healthy()
        };
        assert_eq!(decide(&rules(), &fever_only).outcome, Outcome::Refused);
        let mild = GateCheck {
            temperature_celsius: 37.4,
            colour: CodeColour::Red,
            ..healthy()
        };
        let decision = decide(&rules(), &mild);
        assert_eq!(decision.outcome, Outcome::Refused);
        assert_eq!(decision.reasons, vec![Reason::Fever, Reason::RedCode]);
    }

    #[test]
    fn which_findings_escalate_is_configuration() {
        let mut rules = rules();
        rules.suspected_case_with = vec![SuspectedCaseFinding::YellowCode];
        let yellow = GateCheck {
            temperature_celsius: 37.7,
            colour: CodeColour::Yellow,
            ..healthy()
        };
        let red = GateCheck {
            temperature_celsius: 37.7,
            colour: CodeColour::Red,
            ..healthy()
        };
        assert_eq!(decide(&rules, &yellow).outcome, Outcome::SuspectedCase);
        assert_eq!(decide(&rules, &red).outcome, Outcome::Refused);
    }

    #[test]
    fn a_cough_refuses_alone_and_with_a_high_fever_is_a_suspected_case_only_when_configured() {
        let coughing = GateCheck {
            temperature_celsius: 37.7,
            symptoms: true,
            ..healthy()
        };
        // The sample hall: a fever and a cough without travel or a red code are refused.
        let decision = decide(&rules(), &coughing);
        assert_eq!(decision.outcome, Outcome::Refused);
        assert_eq!(decision.reasons, vec![Reason::Fever, Reason::Symptoms]);
        let cool_cough = GateCheck {
            temperature_celsius: 36.6,
            symptoms: true,
            ..healthy()
        };
        assert_eq!(decide(&rules(), &cool_cough).reasons, vec![Reason::Symptoms]);
        let mut with_symptoms = rules();
        with_symptoms
            .suspected_case_with
            .push(SuspectedCaseFinding::Symptoms);
        assert_eq!(decide(&with_symptoms, &coughing).outcome, Outcome::SuspectedCase);
        assert_eq!(decide(&with_symptoms, &cool_cough).outcome, Outcome::Refused);
    }

    #[test]
    fn a_red_code_without_fever_is_refused_unless_configured_a_suspected_case() {
        let red = GateCheck {
            colour: CodeColour::Red,
            ..healthy()
        };
        assert_eq!(decide(&rules(), &red).outcome, Outcome::Refused);
        let mut strict = rules();
        strict.suspected_case_without_fever = vec![SuspectedCaseFinding::RedCode];
        assert_eq!(decide(&strict, &red).outcome, Outcome::SuspectedCase);
        assert_eq!(decide(&strict, &healthy()).outcome, Outcome::Admitted);
    }
}
