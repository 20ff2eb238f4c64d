//! The canteen layout and its spacing rules: one empty seat between diners on a side,
//! and nobody facing anybody. Adjacency and facing come from the hall's table layout,
//! never typed by hand. Pure.

use std::collections::{BTreeMap, BTreeSet};

use hallguard_domain::hall::Hall;

/// A seat and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seat {
    /// `<table>-<side><position>`, e.g. `t1-a3`.
    pub id: String,
    /// Table id.
    pub table: String,
    /// 0 for side a, 1 for side b.
    pub side: u32,
    /// 0-based position along the side.
    pub position: u32,
}

/// A broken spacing rule, naming both seats.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpacingViolation {
    /// Two diners side by side.
    #[error("seats {0} and {1} are adjacent: keep one empty seat between diners")]
    Adjacent(String, String),
    /// Two diners across the table.
    #[error("seats {0} and {1} face each other: nobody may sit facing anybody")]
    Facing(String, String),
    /// One seat for two diners.
    #[error("seat {0} is assigned twice")]
    Shared(String),
}

/// The canteen: seats and which pairs are adjacent or facing.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    seats: Vec<Seat>,
    /// For each seat, its neighbours and whether across the table.
    neighbours: BTreeMap<String, Vec<(String, bool)>>,
}

impl Layout {
    /// The hall's canteen.
    pub fn of(hall: &Hall) -> Self {
        let mut seats = Vec::new();
        for table in &hall.canteen.tables {
            for side in 0..2 {
                for position in 0..table.seats_per_side {
                    let letter = if side == 0 { "a" } else { "b" };
                    seats.push(Seat {
                        id: format!("{}-{letter}{}", table.id, position + 1),
                        table: table.id.clone(),
                        side,
                        position,
                    });
                }
            }
        }
        let mut neighbours: BTreeMap<String, Vec<(String, bool)>> = BTreeMap::new();
        for relation in hall.seat_relations() {
            neighbours
                .entry(relation.seat.clone())
                .or_default()
                .push((relation.other.clone(), relation.facing));
            neighbours
                .entry(relation.other)
                .or_default()
                .push((relation.seat, relation.facing));
        }
        Self { seats, neighbours }
    }

    /// Every seat.
    pub fn seats(&self) -> &[Seat] {
        &self.seats
    }

    /// A seat by id.
    pub fn seat(&self, id: &str) -> Option<&Seat> {
        self.seats.iter().find(|seat| seat.id == id)
    }

    /// Adjacent and facing seats of a seat.
    pub fn neighbours(&self, id: &str) -> &[(String, bool)] {
        self.neighbours.get(id).map_or(&[], Vec::as_slice)
    }

    /// Checks a set of occupied seats against the spacing rules.
    pub fn check(&self, occupied: &[&str]) -> Result<(), SpacingViolation> {
        let mut taken = BTreeSet::new();
        for seat in occupied {
            if !taken.insert(*seat) {
                return Err(SpacingViolation::Shared(seat.to_string()));
            }
        }
        for seat in occupied {
            for (other, facing) in self.neighbours(seat) {
                if seat < &other.as_str() && taken.contains(other.as_str()) {
                    return Err(if *facing {
                        SpacingViolation::Facing(seat.to_string(), other.clone())
                    } else {
                        SpacingViolation::Adjacent(seat.to_string(), other.clone())
                    });
                }
            }
        }
        Ok(())
    }

    /// The seats usable at once: a checkerboard on every table (alternate seats, and
    /// the other side shifted by one), which is the most a two-sided table allows.
    pub fn usable_seats(&self) -> Vec<&Seat> {
        let mut picked: Vec<&Seat> = Vec::new();
        let mut taken: BTreeSet<&str> = BTreeSet::new();
        let mut order: Vec<&Seat> = self.seats.iter().collect();
        order.sort_by_key(|seat| {
            (
                (seat.side + seat.position) % 2,
                seat.table.clone(),
                seat.side,
                seat.position,
            )
        });
        for seat in order {
            let clear = self
                .neighbours(&seat.id)
                .iter()
                .all(|(other, _)| !taken.contains(other.as_str()));
            if clear {
                taken.insert(&seat.id);
                picked.push(seat);
            }
        }
        picked.sort_by_key(|seat| (seat.table.clone(), seat.side, seat.position));
        picked
    }

    /// Seats the diners on usable seats, in order; `None` when there are more diners
    /// than usable seats.
    pub fn assign<'a>(&'a self, diners: &[String]) -> Option<Vec<(String, &'a str)>> {
        let usable = self.usable_seats();
        (diners.len() <= usable.len()).then(|| {
            diners
                .iter()
                .zip(usable)
                .map(|(diner, seat)| (diner.clone(), seat.id.as_str()))
                .collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use hallguard_domain::hall::{Hall, Table};
    use proptest::prelude::*;

    use super::*;

    fn hall_with(tables: &[u32]) -> Hall {
        let mut hall = Hall::sample();
        hall.canteen.tables = tables
            .iter()
            .enumerate()
            .map(|(index, seats)| Table {
                id: format!("t{}", index + 1),
                seats_per_side: *seats,
            })
            .collect();
        hall
    }

    #[test]
    fn the_sample_canteen_seats_half_its_chairs() {
        let layout = Layout::of(&Hall::sample());
        assert_eq!(layout.seats().len(), 48);
        let usable: Vec<&str> = layout.usable_seats().iter().map(|s| s.id.as_str()).collect();
        assert_eq!(usable.len(), 24);
        assert_eq!(
            &usable[..6],
            &["t1-a1", "t1-a3", "t1-a5", "t1-b2", "t1-b4", "t1-b6"]
        );
    }

    #[test]
    fn adjacent_facing_and_shared_seats_are_refused_by_name() {
        let layout = Layout::of(&Hall::sample());
        assert_eq!(
            layout.check(&["t1-a1", "t1-a2"]),
            Err(SpacingViolation::Adjacent("t1-a1".into(), "t1-a2".into()))
        );
        assert_eq!(
            layout.check(&["t1-b3", "t1-a3"]),
            Err(SpacingViolation::Facing("t1-a3".into(), "t1-b3".into()))
        );
        assert_eq!(
            layout.check(&["t1-a1", "t1-a1"]),
            Err(SpacingViolation::Shared("t1-a1".into()))
        );
        // Diagonal across the table and two apart on a side are fine.
        assert_eq!(layout.check(&["t1-a1", "t1-b2", "t1-a3"]), Ok(()));
    }

    proptest! {
        #[test]
        fn generated_seat_plans_never_break_the_spacing_rules(
            tables in prop::collection::vec(1u32..9, 1..5),
            diners in 0usize..40,
        ) {
            let layout = Layout::of(&hall_with(&tables));
            let names: Vec<String> = (0..diners).map(|d| format!("s{d}")).collect();
            match layout.assign(&names) {
                Some(plan) => {
                    let seats: Vec<&str> = plan.iter().map(|(_, seat)| *seat).collect();
                    prop_assert_eq!(layout.check(&seats), Ok(()));
                    prop_assert_eq!(plan.len(), diners);
                }
                // Refused only when the diners truly outnumber the usable seats.
                None => prop_assert!(diners > layout.usable_seats().len()),
            }
            // The checkerboard is as large as the rules allow: one per position.
            prop_assert_eq!(layout.usable_seats().len() as u32, tables.iter().sum::<u32>());
        }
    }
}
