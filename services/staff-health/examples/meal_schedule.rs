//! Prints the staggered meal schedule the service generates for the sample hall and its
//! sample roster (`sample-roster.csv`, 80 staff in 7 departments) on a few days, to show
//! the slots, the seats usable per slot and the rotation.
//! `cargo run -p hallguard-staff-health --example meal_schedule`
#![allow(clippy::unwrap_used)]

use hallguard_domain::hall::Hall;
use hallguard_domain::time::{format_date, parse_date};
use hallguard_staff_health::canteen::Layout;
use hallguard_staff_health::schedule::{self, Department};

const ROSTER: &str = hallguard_staff_health::SAMPLE_ROSTER_CSV;

fn main() {
    let hall = Hall::sample();
    let mut departments: Vec<Department> = Vec::new();
    for line in ROSTER.lines().skip(1) {
        let fields: Vec<&str> = line.split(',').collect();
        let (staff_id, department) = (fields[0].to_string(), fields[2].to_string());
        match departments.iter_mut().find(|d| d.name == department) {
            Some(existing) => existing.staff.push(staff_id),
            None => departments.push(Department {
                name: department,
                staff: vec![staff_id],
            }),
        }
    }
    let layout = Layout::of(&hall);
    let seats = layout.usable_seats().len();
    let (first, end) = hall.canteen.slot_span_minutes();
    let times = schedule::slot_times(first, end, hall.canteen.slot_minutes);
    println!(
        "{} seats, {seats} usable under the spacing rules; {} staff in {} departments",
        layout.seats().len(),
        departments.iter().map(|d| d.staff.len()).sum::<usize>(),
        departments.len()
    );
    let first_day = parse_date("2026-11-30").unwrap();
    for day in first_day..first_day + 2 {
        println!("\n{}", format_date(day));
        println!("| slot | seats | diners | departments |");
        println!("|---|---|---|---|");
        for slot in schedule::schedule(&times, seats, &departments, day).unwrap() {
            println!(
                "| {:02}:{:02}-{:02}:{:02} | {seats} | {} | {} |",
                slot.start_minute / 60,
                slot.start_minute % 60,
                slot.end_minute / 60,
                slot.end_minute % 60,
                slot.diners.len(),
                slot.departments.join(", ")
            );
        }
    }
}
