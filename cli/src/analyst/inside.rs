//! `hallguard inside`: who is in the hall now, by zone: visitors with an open visit
//! (screening) and staff clocked in (staff health). Duty officers.

use std::collections::BTreeMap;

use hallguard_proto::screening::v1::ListVisitorsInsideRequest;
use hallguard_proto::staff_health::v1::ListStaffOnDutyRequest;
use hallguard_proto::staff_health::v1::staff_health_client::StaffHealthClient;

use super::*;

/// `inside` flags.
#[derive(Debug, Clone, clap::Args)]
pub struct InsideArgs {
    /// The hall.
    #[arg(long, default_value = "riverside-hall")]
    site: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = PlainFormat::Table)]
    format: PlainFormat,
    #[command(flatten)]
    connection: Connection,
}

/// Where a visitor in no zone is counted.
const NO_ZONE: &str = "(no zone)";

pub(super) async fn inside(args: InsideArgs) -> Result<String, AnalystError> {
    let connection = &args.connection;
    let visitors = ScreeningClient::new(connection.channel(Service::Screening).await?)
        .list_visitors_inside(ListVisitorsInsideRequest {
            site_id: args.site.clone(),
        })
        .await
        .map_err(|status| connection.explain(Service::Screening, status))?
        .into_inner()
        .visitors;
    let staff = StaffHealthClient::new(connection.channel(Service::StaffHealth).await?)
        .list_staff_on_duty(ListStaffOnDutyRequest {
            site_id: args.site.clone(),
        })
        .await
        .map_err(|status| connection.explain(Service::StaffHealth, status))?
        .into_inner()
        .staff;
    // Per zone: visitors, and the staff by id.
    let mut zones: BTreeMap<String, (Vec<String>, Vec<String>)> = BTreeMap::new();
    for visitor in &visitors {
        let zone = if visitor.zone_id.is_empty() {
            NO_ZONE.to_string()
        } else {
            visitor.zone_id.clone()
        };
        let person_id = visitor
            .person
            .as_ref()
            .map(|p| p.person_id.clone())
            .unwrap_or_default();
        zones.entry(zone).or_default().0.push(person_id);
    }
    for member in &staff {
        zones
            .entry(member.zone_id.clone())
            .or_default()
            .1
            .push(member.staff_id.clone());
    }
    Ok(match args.format {
        PlainFormat::Json => serde_json::to_string_pretty(&serde_json::json!({
            "site_id": args.site,
            "visitors": visitors.len(),
            "staff": staff.len(),
            "zones": zones.iter().map(|(zone, (visitors, staff))| serde_json::json!({
                "zone_id": zone, "visitors": visitors, "staff": staff,
            })).collect::<Vec<_>>(),
        }))
        .unwrap_or_default(),
        PlainFormat::Table => tabular::grid(
            ["zone", "visitors", "staff"],
            zones
                .iter()
                .map(|(zone, (visitors, staff))| [zone.clone(), visitors.len().to_string(), staff.join(" ")]),
        ),
    })
}
