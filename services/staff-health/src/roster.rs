//! The roster: staff with department, job role and work zones; added one by one or
//! imported from CSV, where every bad row is reported and nothing is half-imported.

use hallguard_domain::hall::Hall;
use hallguard_platform::db::begin_write;
use hallguard_platform::error::{Result, ServiceError};
use hallguard_platform::sealing::Sealer;
use hallguard_platform::validate;
use hallguard_proto::staff_health::v1::{RowError, StaffMember};
use sqlx::AnyPool;

use crate::{convert, store};

/// Checks a member against the hall: ids and names present, zones known, phone valid.
/// Returns the field at fault and why.
pub fn check(hall: &Hall, member: &StaffMember) -> std::result::Result<StaffMember, (String, String)> {
    let required = |value: &str, field: &str| {
        let value = value.trim();
        if value.is_empty() {
            Err((field.to_string(), "is empty".to_string()))
        } else {
            Ok(value.to_string())
        }
    };
    let mut zones = Vec::new();
    for (index, zone) in member.work_zone_ids.iter().enumerate() {
        let zone = zone.trim();
        if hall.zone(zone).is_none() {
            return Err((
                format!("work_zone_ids[{index}]"),
                format!("no zone {zone:?} in this hall"),
            ));
        }
        zones.push(zone.to_string());
    }
    let phone = if member.phone.trim().is_empty() {
        String::new()
    } else {
        validate::phone(&member.phone, "phone")
            .map_err(|_| ("phone".to_string(), "is not a phone number".to_string()))?
    };
    Ok(StaffMember {
        site_id: hall.site_id.clone(),
        staff_id: required(&member.staff_id, "staff_id")?,
        name: required(&member.name, "name")?,
        department: required(&member.department, "department")?,
        job_role: member.job_role.trim().to_string(),
        work_zone_ids: zones,
        phone,
    })
}

/// Takes a member off the roster, ending a shift or seat stay still open; NOT_FOUND
/// naming `staff_id` when not on it.
pub async fn remove(pool: &AnyPool, hall: &Hall, staff_id: &str, reason: &str, at: i64) -> Result<()> {
    let mut transaction = begin_write(pool).await?;
    if !store::staff::remove(&mut transaction, &hall.site_id, staff_id, reason, at).await? {
        return Err(ServiceError::not_found(
            "staff_id",
            format!("no staff member {staff_id:?} on this hall's roster"),
        ));
    }
    crate::presence::end_all(&mut transaction, &hall.site_id, staff_id, at).await?;
    transaction.commit().await?;
    Ok(())
}

/// Refuses `staff_id` (named by `field`) unless it is on the hall's roster.
pub async fn is_on_roster(pool: &AnyPool, hall: &Hall, staff_id: &str, field: &str) -> Result<()> {
    match store::staff::get(pool, &hall.site_id, staff_id, field).await {
        Ok(_) => Ok(()),
        Err(ServiceError::NotFound(_)) => Err(ServiceError::invalid(
            field,
            format!(
                "{staff_id:?} is not on this hall's roster: give a staff id, or leave it empty to act as yourself"
            ),
        )),
        Err(other) => Err(other),
    }
}

/// Adds or updates one member.
pub async fn upsert(
    pool: &AnyPool,
    sealer: &Sealer,
    hall: &Hall,
    member: &StaffMember,
) -> Result<StaffMember> {
    let member = check(hall, member)
        .map_err(|(field, message)| ServiceError::invalid(format!("member.{field}"), message))?;
    let mut transaction = begin_write(pool).await?;
    store::staff::save(&mut transaction, sealer, &convert::member(&member)).await?;
    transaction.commit().await?;
    Ok(member)
}

/// The CSV columns, in any order.
const COLUMNS: [&str; 6] = [
    "staff_id",
    "name",
    "department",
    "job_role",
    "work_zones",
    "phone",
];

/// Splits one CSV line; fields may be quoted with `"` (a doubled quote inside is one).
fn fields(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut field)),
            _ => field.push(c),
        }
    }
    out.push(field);
    out
}

/// Imports a CSV roster: all rows or, when any is bad, none, with one error per bad row.
pub async fn import(pool: &AnyPool, sealer: &Sealer, hall: &Hall, csv: &str) -> Result<(u32, Vec<RowError>)> {
    let mut lines = csv
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty());
    let Some((_, header)) = lines.next() else {
        return Err(ServiceError::invalid("csv", "is empty"));
    };
    let header: Vec<String> = fields(header)
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let mut position = [0usize; 6];
    for (slot, column) in position.iter_mut().zip(COLUMNS) {
        *slot = header
            .iter()
            .position(|h| h == column)
            .ok_or_else(|| ServiceError::invalid("csv", format!("the header has no {column} column")))?;
    }
    let mut members = Vec::new();
    let mut errors = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (index, line) in lines {
        let line_number = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let values = fields(line);
        let value = |column: usize| values.get(position[column]).map_or("", |v| v.trim()).to_string();
        let member = StaffMember {
            site_id: hall.site_id.clone(),
            staff_id: value(0),
            name: value(1),
            department: value(2),
            job_role: value(3),
            work_zone_ids: value(4)
                .split(';')
                .map(str::trim)
                .filter(|z| !z.is_empty())
                .map(str::to_string)
                .collect(),
            phone: value(5),
        };
        match check(hall, &member) {
            Ok(member) if !seen.insert(member.staff_id.clone()) => errors.push(RowError {
                line: line_number,
                field: "staff_id".into(),
                message: format!("{} appears twice", member.staff_id),
            }),
            Ok(member) => members.push(member),
            Err((field, message)) => errors.push(RowError {
                line: line_number,
                field: if field.starts_with("work_zone_ids") {
                    "work_zones".into()
                } else {
                    field
                },
                message,
            }),
        }
    }
    if !errors.is_empty() {
        return Ok((0, errors));
    }
    let mut transaction = begin_write(pool).await?;
    for member in &members {
        store::staff::save(&mut transaction, sealer, &convert::member(member)).await?;
    }
    transaction.commit().await?;
    Ok((u32::try_from(members.len()).unwrap_or(u32::MAX), errors))
}

/// Every member of a hall, by staff id.
pub async fn all(pool: &AnyPool, sealer: &Sealer, site_id: &str) -> Result<Vec<StaffMember>> {
    Ok(store::staff::members(pool, sealer, site_id)
        .await?
        .into_iter()
        .map(convert::member_message)
        .collect())
}

/// A page of the roster matching a query (name, id or department, case-insensitive) and
/// a department.
pub async fn search(
    pool: &AnyPool,
    sealer: &Sealer,
    site_id: &str,
    query: &str,
    department: &str,
    offset: i64,
    limit: i64,
) -> Result<Vec<StaffMember>> {
    Ok(
        store::staff::search(pool, sealer, site_id, query, department, offset, limit)
            .await?
            .into_iter()
            .map(convert::member_message)
            .collect(),
    )
}
