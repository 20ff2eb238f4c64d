//! Assessing a morning check or a health report: fit for duty or not, whether the
//! person goes on focus management (重点管控), and whether it is a suspected case.
//! Pure; thresholds come from the hall's screening rules.

use hallguard_domain::hall::ScreeningRules;

/// A symptom a staff member reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Symptom {
    /// Feels feverish.
    Fever,
    /// Cough.
    Cough,
    /// Sore throat.
    SoreThroat,
    /// Runny nose, sneezing.
    Cold,
    /// Fatigue.
    Fatigue,
    /// Anything else.
    Other,
}

impl Symptom {
    /// Every symptom.
    pub const ALL: [Symptom; 6] = [
        Symptom::Fever,
        Symptom::Cough,
        Symptom::SoreThroat,
        Symptom::Cold,
        Symptom::Fatigue,
        Symptom::Other,
    ];

    /// The stored and spoken name.
    pub fn name(self) -> &'static str {
        match self {
            Symptom::Fever => "fever",
            Symptom::Cough => "cough",
            Symptom::SoreThroat => "sore throat",
            Symptom::Cold => "cold symptoms",
            Symptom::Fatigue => "fatigue",
            Symptom::Other => "other symptom",
        }
    }

    /// The symptom with a stored name.
    pub fn from_name(name: &str) -> Option<Symptom> {
        Symptom::ALL.into_iter().find(|s| s.name() == name)
    }

    fn respiratory(self) -> bool {
        matches!(self, Symptom::Cough | Symptom::SoreThroat)
    }
}

/// What was measured and said.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    /// °C, if measured.
    pub temperature_celsius: Option<f64>,
    /// Yellow or red health code.
    pub code_not_green: Option<&'static str>,
    /// The itinerary code flags a risk area.
    pub itinerary_risk: bool,
    /// Symptoms.
    pub symptoms: Vec<Symptom>,
}

/// The assessment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    /// Fit for duty.
    pub fit_for_duty: bool,
    /// Why not, in words.
    pub reasons: Vec<String>,
    /// Goes (or stays) on focus management: any symptom or a fever.
    pub focus: bool,
    /// A suspected case: a measured temperature at or above the suspected-case
    /// threshold, or a fever (measured or felt) with a cough or sore throat.
    pub suspected: bool,
}

/// Assesses a reading under the hall's thresholds.
pub fn assess(rules: &ScreeningRules, reading: &Reading) -> Assessment {
    let mut reasons = Vec::new();
    let measured_fever = reading
        .temperature_celsius
        .filter(|t| *t >= rules.fever_threshold_celsius);
    if let Some(t) = measured_fever {
        reasons.push(format!("fever {t:.1} °C"));
    }
    if let Some(colour) = reading.code_not_green {
        reasons.push(format!("{colour} health code"));
    }
    if reading.itinerary_risk {
        reasons.push("risk-area travel".into());
    }
    for symptom in &reading.symptoms {
        reasons.push(symptom.name().into());
    }
    let fever = measured_fever.is_some() || reading.symptoms.contains(&Symptom::Fever);
    let high_fever = reading
        .temperature_celsius
        .is_some_and(|t| t >= rules.suspected_case_fever_celsius);
    let respiratory = reading.symptoms.iter().any(|s| s.respiratory());
    Assessment {
        fit_for_duty: reasons.is_empty(),
        focus: fever || !reading.symptoms.is_empty(),
        suspected: high_fever || (fever && respiratory),
        reasons,
    }
}

#[cfg(test)]
mod tests {
    use hallguard_domain::hall::Hall;

    use super::*;

    fn reading(temperature: f64, symptoms: &[Symptom]) -> Reading {
        Reading {
            temperature_celsius: Some(temperature),
            code_not_green: None,
            itinerary_risk: false,
            symptoms: symptoms.to_vec(),
        }
    }

    #[test]
    fn scenario_two_is_a_suspected_case_on_focus_management() {
        let rules = Hall::sample().screening;
        let assessment = assess(&rules, &reading(37.8, &[Symptom::Cough, Symptom::SoreThroat]));
        assert!(assessment.suspected && assessment.focus && !assessment.fit_for_duty);
        assert_eq!(assessment.reasons, vec!["fever 37.8 °C", "cough", "sore throat"]);
    }

    #[test]
    fn symptoms_and_fevers_grade_from_focus_to_suspected() {
        let rules = Hall::sample().screening;
        let healthy = assess(&rules, &reading(36.6, &[]));
        assert!(healthy.fit_for_duty && !healthy.focus && !healthy.suspected);
        let cold = assess(&rules, &reading(36.8, &[Symptom::Cold]));
        assert!(!cold.fit_for_duty && cold.focus && !cold.suspected);
        let mild_fever = assess(&rules, &reading(37.4, &[]));
        assert!(mild_fever.focus && !mild_fever.suspected);
        let high_fever = assess(&rules, &reading(37.6, &[]));
        assert!(high_fever.suspected);
        let felt_fever_with_cough = assess(&rules, &reading(36.9, &[Symptom::Fever, Symptom::Cough]));
        assert!(felt_fever_with_cough.suspected);
        let red = assess(
            &rules,
            &Reading {
                code_not_green: Some("red"),
                ..reading(36.5, &[])
            },
        );
        assert!(!red.fit_for_duty && !red.focus);
    }
}
