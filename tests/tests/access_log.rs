//! The access log over real servers, on both databases: an analyst's contact query and
//! trajectory, and a duty officer's staff list, leave entries naming the caller, the
//! role, the RPC, the stated purpose and every person the answer showed; admins ask
//! "who looked at this person?" and "what did this caller read?", and no one else may.
#![allow(clippy::unwrap_used)]

use clap::Parser as _;
use hallguard::ServiceRole;
use hallguard::analyst::{AnalystCli, run as run_analyst};
use hallguard_domain::time::now_millis;
use hallguard_platform::auth::{PeerInterceptor, Role};
use hallguard_platform::timestamps::millis_to_timestamp;
use hallguard_proto::common::v1::{PersonKind, PersonRef, TimeWindow};
use hallguard_proto::contact_tracing::v1::contact_tracing_client::ContactTracingClient;
use hallguard_proto::contact_tracing::v1::{
    FindContactsRequest, GetTrajectoryRequest, IngestPresenceBatchRequest, Place, PlaceKind,
    PresenceInterval, find_contacts_request,
};
use hallguard_proto::platform::v1::access_admin_client::AccessAdminClient;
use hallguard_proto::platform::v1::{AccessEntry, ListAccessRequest};
use hallguard_proto::staff_health::v1::staff_health_client::StaffHealthClient;
use hallguard_proto::staff_health::v1::{
    ImportRosterRequest, ListMissingMorningChecksRequest, ListStaffRequest,
};
use hallguard_tests::TestHall;
use secrecy::ExposeSecret;
use tonic::Code;

const SITE: &str = "riverside-hall";
const MINUTE: i64 = 60_000;
const FIND_CONTACTS: &str = "/hallguard.contact_tracing.v1.ContactTracing/FindContacts";

fn visitor(id: &str) -> PersonRef {
    PersonRef {
        site_id: SITE.into(),
        kind: PersonKind::Visitor as i32,
        person_id: id.into(),
    }
}

/// Two hours ago, `from`..`to` minutes on, in the tax area.
fn stay(event: &str, who: &str, from: i64, to: i64) -> PresenceInterval {
    let base = now_millis() - 120 * MINUTE;
    PresenceInterval {
        person: Some(visitor(who)),
        place: Some(Place {
            kind: PlaceKind::Zone as i32,
            place_id: "tax-area".into(),
        }),
        start: Some(millis_to_timestamp(base + from * MINUTE)),
        end: Some(millis_to_timestamp(base + to * MINUTE)),
        source_event_id: event.into(),
        queue_position: 0,
    }
}

fn window() -> TimeWindow {
    TimeWindow {
        start: Some(millis_to_timestamp(now_millis() - 180 * MINUTE)),
        end: Some(millis_to_timestamp(now_millis())),
    }
}

async fn entries(hall: &TestHall, service: ServiceRole, request: ListAccessRequest) -> Vec<AccessEntry> {
    AccessAdminClient::new(hall.authed(service, Role::Admin).await)
        .list_access(request)
        .await
        .unwrap()
        .into_inner()
        .entries
}

#[tokio::test]
async fn contact_queries_are_logged_with_the_caller_the_purpose_and_everyone_shown() {
    let hall = TestHall::start().await;
    let mut ingest = ContactTracingClient::new(hall.authed(ServiceRole::ContactTracing, Role::Service).await);
    ingest
        .ingest_presence_batch(IngestPresenceBatchRequest {
            intervals: vec![stay("a1", "hc-index", 0, 40), stay("a2", "hc-contact", 5, 45)],
        })
        .await
        .unwrap();

    let interceptor = PeerInterceptor::new(hall.token(Role::Analyst)).unwrap();
    let channel = hall.channel(ServiceRole::ContactTracing).await;
    let mut analyst = ContactTracingClient::with_interceptor(channel, interceptor);
    let mut query = tonic::Request::new(FindContactsRequest {
        person: Some(visitor("hc-index")),
        window: Some(find_contacts_request::Window::Span(window())),
        rings: 1,
        ..Default::default()
    });
    query
        .metadata_mut()
        .insert("hallguard-purpose", "incident inc-42 step 4".parse().unwrap());
    let found = analyst.find_contacts(query).await.unwrap().into_inner();
    assert_eq!(found.close_contacts.len(), 1);
    analyst
        .get_trajectory(GetTrajectoryRequest {
            person: Some(visitor("hc-contact")),
            window: Some(window()),
        })
        .await
        .unwrap();

    // Who looked at the contact? The analyst, twice: as a contact and by trajectory.
    let about_contact = entries(
        &hall,
        ServiceRole::ContactTracing,
        ListAccessRequest {
            person: Some(visitor("hc-contact")),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(about_contact.len(), 2, "{about_contact:?}");
    let query_entry = about_contact.iter().find(|e| e.rpc == FIND_CONTACTS).unwrap();
    assert_eq!(query_entry.role, "analyst");
    assert!(query_entry.caller.ends_with("analyst"), "{}", query_entry.caller);
    assert_eq!(query_entry.purpose, "incident inc-42 step 4");
    assert_eq!((query_entry.people, query_entry.site_id.as_str()), (2, SITE));
    // What did the analyst read? Both calls; someone never shown has no entry.
    let by_caller = entries(
        &hall,
        ServiceRole::ContactTracing,
        ListAccessRequest {
            caller: query_entry.caller.clone(),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(by_caller.len(), 2);
    let nobody = entries(
        &hall,
        ServiceRole::ContactTracing,
        ListAccessRequest {
            person: Some(visitor("hc-never-shown")),
            ..Default::default()
        },
    )
    .await;
    assert!(nobody.is_empty());

    // Admins only.
    let refused = AccessAdminClient::new(hall.authed(ServiceRole::ContactTracing, Role::Analyst).await)
        .list_access(ListAccessRequest::default())
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);

    // The CLI asks every service.
    let admin_token = hall.token(Role::Admin).expose_secret().to_string();
    let mut argv: Vec<String> = [
        "hallguard",
        "access-log",
        "--person",
        "hc-contact",
        "--format",
        "json",
        "--token",
    ]
    .map(String::from)
    .into();
    argv.push(admin_token);
    argv.extend(hall.service_url_flags());
    let printed = run_analyst(AnalystCli::try_parse_from(argv).unwrap().command)
        .await
        .unwrap();
    let printed: Vec<serde_json::Value> = serde_json::from_str(&printed).unwrap();
    assert_eq!(printed.len(), 2, "{printed:?}");
    assert!(
        printed
            .iter()
            .all(|e| e["service"] == "contact-tracing" && e["role"] == "analyst")
    );
    hall.stop().await;
}

#[tokio::test]
async fn a_staff_list_with_phones_is_logged_person_by_person() {
    let hall = TestHall::start().await;
    let mut desk = StaffHealthClient::new(hall.authed(ServiceRole::StaffHealth, Role::DutyOfficer).await);
    desk.import_roster(ImportRosterRequest {
        site_id: SITE.into(),
        csv: "staff_id,name,department,job_role,work_zones,phone\n\
              s-001,Wang Fang,tax bureau,window clerk,tax-area,13800000001\n\
              s-002,Li Na,tax bureau,window clerk,tax-area,13800000002\n"
            .into(),
    })
    .await
    .unwrap();
    let listed = desk
        .list_staff(ListStaffRequest {
            site_id: SITE.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .members;
    assert_eq!(listed.len(), 2);
    let about = entries(
        &hall,
        ServiceRole::StaffHealth,
        ListAccessRequest {
            person: Some(PersonRef {
                site_id: SITE.into(),
                kind: PersonKind::Staff as i32,
                person_id: "s-002".into(),
            }),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(about.len(), 1, "{about:?}");
    assert_eq!(about[0].role, "duty_officer");
    assert_eq!(about[0].rpc, "/hallguard.staff_health.v1.StaffHealth/ListStaff");
    assert_eq!(about[0].people, 2);
    assert!(
        listed.iter().all(|member| !member.phone.is_empty()),
        "duty officers call staff"
    );

    // Analysts get the roster without phones (minimum necessary).
    let analyst_view = StaffHealthClient::new(hall.authed(ServiceRole::StaffHealth, Role::Analyst).await)
        .list_staff(ListStaffRequest {
            site_id: SITE.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .members;
    assert_eq!(analyst_view.len(), 2);
    assert!(
        analyst_view
            .iter()
            .all(|member| member.phone.is_empty() && !member.name.is_empty())
    );

    // The staff still to check in this morning, with names and phones: logged too.
    let missing = desk
        .list_missing_morning_checks(ListMissingMorningChecksRequest {
            site_id: SITE.into(),
            work_date: hallguard_domain::time::format_date(
                hallguard_domain::time::now_millis().div_euclid(hallguard_domain::time::DAY_MS),
            ),
        })
        .await
        .unwrap()
        .into_inner()
        .missing;
    assert_eq!(missing.len(), 2);
    let about = entries(
        &hall,
        ServiceRole::StaffHealth,
        ListAccessRequest {
            person: Some(PersonRef {
                site_id: SITE.into(),
                kind: PersonKind::Staff as i32,
                person_id: "s-001".into(),
            }),
            ..Default::default()
        },
    )
    .await;
    assert!(
        about
            .iter()
            .any(|entry| entry.rpc.ends_with("/ListMissingMorningChecks") && entry.people == 2),
        "{about:?}"
    );
    hall.stop().await;
}
