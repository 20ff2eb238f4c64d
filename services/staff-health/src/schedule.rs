//! Staggered meal slots (分时错峰): departments are spread over the day's slots so that
//! no slot has more diners than the canteen's usable seats, each slot as light as the
//! departments allow, and the order rotates by day so no department always eats first
//! or last. A department larger than a slot is split over consecutive slots. Pure.

/// A department and its staff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Department {
    /// Name.
    pub name: String,
    /// Staff ids.
    pub staff: Vec<String>,
}

/// One slot of the schedule.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Slot {
    /// Start, minutes after local midnight.
    pub start_minute: u32,
    /// End.
    pub end_minute: u32,
    /// Departments eating (in full or in part).
    pub departments: Vec<String>,
    /// Staff eating.
    pub diners: Vec<String>,
}

/// Why no schedule fits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{diners} diners do not fit {slots} slots of {seats} usable seats")]
pub struct ScheduleError {
    /// Staff to seat.
    pub diners: usize,
    /// Slots in the day.
    pub slots: usize,
    /// Usable seats per slot.
    pub seats: usize,
}

/// The slots between `first` and `end` (minutes) of `length` minutes each.
pub fn slot_times(first: u32, end: u32, length: u32) -> Vec<(u32, u32)> {
    let length = length.max(1);
    (0..)
        .map(|index| first + index * length)
        .take_while(|start| start + length <= end)
        .map(|start| (start, start + length))
        .collect()
}

/// Spreads the departments over the slots for day number `day`.
pub fn schedule(
    times: &[(u32, u32)],
    seats: usize,
    departments: &[Department],
    day: i64,
) -> Result<Vec<Slot>, ScheduleError> {
    let diners: usize = departments.iter().map(|d| d.staff.len()).sum();
    if diners > times.len() * seats {
        return Err(ScheduleError {
            diners,
            slots: times.len(),
            seats,
        });
    }
    let mut slots: Vec<Slot> = times
        .iter()
        .map(|&(start_minute, end_minute)| Slot {
            start_minute,
            end_minute,
            ..Slot::default()
        })
        .collect();
    let mut order: Vec<&Department> = departments.iter().filter(|d| !d.staff.is_empty()).collect();
    order.sort_by(|a, b| b.staff.len().cmp(&a.staff.len()).then(a.name.cmp(&b.name)));
    let shift = usize::try_from(day.rem_euclid(times.len().max(1) as i64)).unwrap_or(0);
    for department in order {
        // The lightest slot that takes the whole department; ties go to the slot that
        // comes first after today's rotation.
        let rank = |index: usize| (index + times.len() - shift) % times.len();
        let whole = (0..slots.len())
            .filter(|&i| slots[i].diners.len() + department.staff.len() <= seats)
            .min_by_key(|&i| (slots[i].diners.len(), rank(i)));
        match whole {
            Some(index) => {
                slots[index].departments.push(department.name.clone());
                slots[index].diners.extend(department.staff.iter().cloned());
            }
            None => {
                // Too big for any one slot: fill the lightest slots in turn.
                let mut left = department.staff.as_slice();
                while !left.is_empty() {
                    let Some(index) = (0..slots.len())
                        .filter(|&i| slots[i].diners.len() < seats)
                        .min_by_key(|&i| (slots[i].diners.len(), rank(i)))
                    else {
                        break;
                    };
                    let take = (seats - slots[index].diners.len()).min(left.len());
                    slots[index].departments.push(department.name.clone());
                    slots[index].diners.extend(left[..take].iter().cloned());
                    left = &left[take..];
                }
            }
        }
    }
    Ok(slots)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn department(name: &str, size: usize) -> Department {
        Department {
            name: name.into(),
            staff: (0..size).map(|i| format!("{name}-{i}")).collect(),
        }
    }

    #[test]
    fn slots_cover_the_lunch_window() {
        assert_eq!(
            slot_times(660, 810, 30),
            vec![(660, 690), (690, 720), (720, 750), (750, 780), (780, 810)]
        );
    }

    #[test]
    fn departments_rotate_from_day_to_day() {
        let departments = [
            department("tax", 10),
            department("police", 10),
            department("civil", 10),
        ];
        let times = slot_times(660, 750, 30);
        let first_slot = |day| {
            schedule(&times, 24, &departments, day).unwrap()[0]
                .departments
                .clone()
        };
        assert_ne!(first_slot(0), first_slot(1));
        assert_ne!(first_slot(1), first_slot(2));
    }

    proptest! {
        #[test]
        fn no_slot_exceeds_the_seats_and_everyone_eats_once(
            sizes in prop::collection::vec(0usize..30, 1..8),
            seats in 1usize..30,
            day in 0i64..30,
        ) {
            let departments: Vec<Department> =
                sizes.iter().enumerate().map(|(i, size)| department(&format!("d{i}"), *size)).collect();
            let times = slot_times(660, 810, 30);
            match schedule(&times, seats, &departments, day) {
                Ok(slots) => {
                    prop_assert!(slots.iter().all(|slot| slot.diners.len() <= seats));
                    let mut eaten: Vec<String> = slots.iter().flat_map(|s| s.diners.clone()).collect();
                    let mut everyone: Vec<String> = departments.iter().flat_map(|d| d.staff.clone()).collect();
                    eaten.sort();
                    everyone.sort();
                    prop_assert_eq!(eaten, everyone);
                }
                Err(error) => prop_assert!(error.diners > times.len() * seats),
            }
        }
    }
}
