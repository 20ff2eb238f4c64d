//! An incident dossier: one self-contained HTML page that works offline (no outside
//! resources): the incident, its steps and their owners, the trajectory timeline, the
//! contact graph with pan, zoom, search and filters, and the contact table, sortable
//! and filtered alike. The page is well-formed XHTML so a test can read it back; a small
//! inline script adds the interaction, and marks the page ready with the rows it shows.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use hallguard_incident::upward::{self, Language};
use hallguard_platform::timestamps::timestamp_to_millis;
use hallguard_proto::incident::v1::Incident;

use super::contacts::{ContactRow, minutes};
use super::{enum_words, kind_name, local_time, xml_escape};

/// What the dossier shows, gathered from the services.
#[derive(Debug, Clone)]
pub struct Dossier<'a> {
    /// The incident with its steps.
    pub incident: &'a Incident,
    /// Its close and secondary contacts, with evidence.
    pub contacts: &'a [ContactRow],
    /// The contact graph (SVG, from [`super::svg::contact_graph`]).
    pub contact_graph_svg: &'a str,
    /// The trajectory timeline (SVG, from [`super::svg::trajectory_timeline`]).
    pub trajectory_svg: &'a str,
    /// The hall's offset from UTC, for local times.
    pub utc_offset_minutes: i32,
}

/// An SVG document without its XML prolog, to place inside the page.
fn inline_svg(svg: &str) -> &str {
    svg.find("<svg").map_or(svg, |at| &svg[at..])
}

/// The places of a contact's evidence.
fn places(row: &ContactRow) -> BTreeSet<String> {
    row.evidence.iter().map(|e| e.place_id.clone()).collect()
}

/// The page.
pub fn html(dossier: &Dossier<'_>) -> String {
    let incident = dossier.incident;
    let offset = dossier.utc_offset_minutes;
    let person = incident.person.clone().unwrap_or_default();
    let title = format!("Incident {}", incident.incident_id);
    let mut page = String::new();
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body data-contacts=\"{}\">\n",
        xml_escape(&title),
        dossier.contacts.len()
    );
    let _ = writeln!(page, "<h1>{}</h1>", xml_escape(&title));
    let _ = writeln!(
        page,
        "<p class=\"summary\">{} {} at {}, {}; {}; state {}.</p>",
        kind_name(&person),
        xml_escape(&person.person_id),
        xml_escape(&incident.location_id),
        local_time(
            incident.occurred_at.as_ref().map_or(0, timestamp_to_millis),
            offset
        ),
        enum_words(incident.source().as_str_name(), "INCIDENT_SOURCE_"),
        enum_words(incident.state().as_str_name(), "INCIDENT_STATE_"),
    );

    page.push_str("<h2>Steps and their owners</h2>\n<table class=\"steps\"><thead><tr><th>step</th><th>recorded by</th><th>what was recorded</th><th>entered</th></tr></thead><tbody>\n");
    for step in &incident.steps {
        let _ = writeln!(
            page,
            "<tr><td>{} {}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            step.step,
            upward::step_name(step.step),
            xml_escape(&step.recorded_by),
            xml_escape(&upward::step_words(step, Language::English, offset)),
            step.recorded_at
                .as_ref()
                .map(|t| local_time(timestamp_to_millis(t), offset))
                .unwrap_or_default(),
        );
    }
    page.push_str("</tbody></table>\n");

    page.push_str("<h2>Trajectory</h2>\n<div class=\"picture\">");
    page.push_str(inline_svg(dossier.trajectory_svg));
    page.push_str("</div>\n");

    // Filters: ring, category, place; and a search over people.
    let categories: BTreeSet<&str> = dossier.contacts.iter().map(|c| c.category.as_str()).collect();
    let all_places: BTreeSet<String> = dossier.contacts.iter().flat_map(places).collect();
    page.push_str("<h2>Contacts</h2>\n<form class=\"filters\" onsubmit=\"return false\">\n");
    page.push_str("<label>search <input type=\"search\" id=\"search\" placeholder=\"person id\"/></label>\n");
    page.push_str("<label>ring <select id=\"ring\"><option value=\"\">all</option><option value=\"1\">1 close</option><option value=\"2\">2 secondary</option></select></label>\n");
    page.push_str("<label>category <select id=\"category\"><option value=\"\">all</option>");
    for category in &categories {
        let _ = write!(page, "<option>{}</option>", xml_escape(category));
    }
    page.push_str("</select></label>\n<label>place <select id=\"place\"><option value=\"\">all</option>");
    for place in &all_places {
        let _ = write!(page, "<option>{}</option>", xml_escape(place));
    }
    page.push_str("</select></label>\n<span id=\"shown\"></span>\n</form>\n");

    page.push_str("<div class=\"picture graph\" id=\"graph\" title=\"drag to pan, wheel to zoom\">");
    page.push_str(inline_svg(dossier.contact_graph_svg));
    page.push_str("</div>\n");

    page.push_str("<table class=\"contacts\" id=\"contacts\"><thead><tr>");
    for (n, header) in [
        "ring",
        "person",
        "kind",
        "category",
        "via",
        "first exposure",
        "minutes",
        "where and how",
    ]
    .iter()
    .enumerate()
    {
        let _ = write!(page, "<th data-column=\"{n}\">{header}</th>");
    }
    page.push_str("</tr></thead><tbody>\n");
    for row in dossier.contacts {
        let _ = writeln!(
            page,
            "<tr data-person=\"{id}\" data-ring=\"{ring}\" data-category=\"{category}\" data-places=\"{places}\"><td>{ring}</td><td>{id}</td><td>{kind}</td><td>{category}</td><td>{via}</td><td>{first}</td><td data-sort=\"{seconds}\">{total}</td><td>{evidence}</td></tr>",
            id = xml_escape(&row.person_id),
            ring = row.ring,
            category = xml_escape(&row.category),
            places = xml_escape(&places(row).into_iter().collect::<Vec<_>>().join(" ")),
            kind = xml_escape(&row.kind),
            via = xml_escape(row.via.as_deref().unwrap_or("")),
            first = row
                .first_exposure
                .map(|at| local_time(at, offset))
                .unwrap_or_default(),
            seconds = row.total_seconds,
            total = minutes(row.total_seconds),
            evidence = xml_escape(&row.evidence_line()),
        );
    }
    page.push_str("</tbody></table>\n");
    let _ = write!(
        page,
        "<script>//<![CDATA[\n{SCRIPT}\n//]]></script>\n</body>\n</html>\n"
    );
    page
}

const STYLE: &str = "
body { font-family: sans-serif; margin: 1.5em; color: #111; }
table { border-collapse: collapse; width: 100%; font-size: 0.85em; margin-bottom: 1em; }
th, td { border: 1px solid #bbb; padding: 0.25em 0.4em; text-align: left; vertical-align: top; }
table.contacts th { cursor: pointer; background: #f3f3f3; }
.picture { overflow: auto; border: 1px solid #ddd; margin-bottom: 1em; }
.graph { height: 70vh; cursor: grab; }
.graph svg { width: 100%; height: 100%; }
.filters label { margin-right: 1em; }
.hidden { display: none; }
g.person.dim { opacity: 0.08; }
g.person.hit circle, g.person.hit rect { stroke: #000; stroke-width: 3; }
@media print { .filters { display: none; } .graph { height: auto; } }
";

/// Sorting, filtering and searching the table and the graph together; pan and zoom of
/// the graph by its viewBox. Marks `<body>` with `data-ready` and the rows shown.
const SCRIPT: &str = r#"
(function () {
  var table = document.getElementById('contacts');
  var rows = Array.prototype.slice.call(table.tBodies[0].rows);
  var people = Array.prototype.slice.call(document.querySelectorAll('#graph g.person'));
  var search = document.getElementById('search');
  var ring = document.getElementById('ring');
  var category = document.getElementById('category');
  var place = document.getElementById('place');
  function keep(row) {
    var text = search.value.trim().toLowerCase();
    return (!text || row.dataset.person.toLowerCase().indexOf(text) >= 0)
      && (!ring.value || row.dataset.ring === ring.value)
      && (!category.value || row.dataset.category === category.value)
      && (!place.value || (' ' + row.dataset.places + ' ').indexOf(' ' + place.value + ' ') >= 0);
  }
  function apply() {
    var shown = {};
    var count = 0;
    rows.forEach(function (row) {
      var ok = keep(row);
      row.classList.toggle('hidden', !ok);
      if (ok) { shown[row.dataset.person] = true; count += 1; }
    });
    var filtering = search.value || ring.value || category.value || place.value;
    people.forEach(function (node) {
      var id = node.getAttribute('data-person');
      var index = node.getAttribute('data-ring') === '0';
      node.classList.toggle('dim', !!filtering && !index && !shown[id]);
      node.classList.toggle('hit', !!search.value && !!shown[id]);
    });
    document.getElementById('shown').textContent = count + ' of ' + rows.length + ' contacts shown';
    document.body.setAttribute('data-shown', String(count));
  }
  [search, ring, category, place].forEach(function (input) { input.addEventListener('input', apply); });
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (header, column) {
    var ascending = true;
    header.addEventListener('click', function () {
      var value = function (row) {
        var cell = row.cells[column];
        var sort = cell.getAttribute('data-sort');
        return sort !== null ? Number(sort) : cell.textContent;
      };
      rows.sort(function (a, b) {
        var x = value(a), y = value(b);
        var order = (typeof x === 'number' && typeof y === 'number') ? x - y : String(x).localeCompare(String(y));
        return ascending ? order : -order;
      });
      ascending = !ascending;
      rows.forEach(function (row) { table.tBodies[0].appendChild(row); });
    });
  });
  var svg = document.querySelector('#graph svg');
  if (svg) {
    var box = svg.getAttribute('viewBox').split(' ').map(Number);
    var set = function () { svg.setAttribute('viewBox', box.join(' ')); };
    svg.addEventListener('wheel', function (event) {
      event.preventDefault();
      var factor = event.deltaY > 0 ? 1.2 : 1 / 1.2;
      var rect = svg.getBoundingClientRect();
      var fx = (event.clientX - rect.left) / rect.width, fy = (event.clientY - rect.top) / rect.height;
      var w = box[2] * factor, h = box[3] * factor;
      box = [box[0] + (box[2] - w) * fx, box[1] + (box[3] - h) * fy, w, h];
      set();
    }, { passive: false });
    var from = null;
    svg.addEventListener('mousedown', function (event) { from = [event.clientX, event.clientY]; });
    window.addEventListener('mouseup', function () { from = null; });
    window.addEventListener('mousemove', function (event) {
      if (!from) { return; }
      var rect = svg.getBoundingClientRect();
      box[0] -= (event.clientX - from[0]) * box[2] / rect.width;
      box[1] -= (event.clientY - from[1]) * box[3] / rect.height;
      from = [event.clientX, event.clientY];
      set();
    });
  }
  // A link may carry a search or filters: #search=s-002&ring=1.
  location.hash.replace(/^#/, '').split('&').forEach(function (pair) {
    var parts = pair.split('=');
    var input = { search: search, ring: ring, category: category, place: place }[parts[0]];
    if (input && parts.length === 2) { input.value = decodeURIComponent(parts[1]); }
  });
  apply();
  document.body.setAttribute('data-ready', 'yes');
})();
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::contacts::Evidence;
    use hallguard_proto::common::v1::{PersonKind, PersonRef};

    fn row(id: &str, ring: u32, category: &str, place: &str) -> ContactRow {
        ContactRow {
            ring,
            person_id: id.into(),
            kind: "staff".into(),
            category: category.into(),
            via: (ring == 2).then(|| "s-002".to_string()),
            first_exposure: Some(1_795_835_700_000),
            total_seconds: 1_800,
            evidence: vec![Evidence {
                place_kind: "zone".into(),
                place_id: place.into(),
                other_place_id: String::new(),
                rule: "same zone".into(),
                seconds: 1_800,
                spans: Vec::new(),
                end_unknown: false,
                capped: false,
            }],
        }
    }

    #[test]
    fn the_dossier_is_one_well_formed_page_with_every_contact_and_its_filters() {
        let incident = Incident {
            incident_id: "inc-1".into(),
            person: Some(PersonRef {
                site_id: "hall".into(),
                kind: PersonKind::Staff as i32,
                person_id: "s-001".into(),
            }),
            location_id: "canteen & co".into(),
            ..Default::default()
        };
        let contacts = [
            row("s-002", 1, "canteen-unmasked", "t1-a2"),
            row("s-003", 1, "zone-masked", "tax-area"),
            row("hc-9", 2, "zone-masked", "rest-area"),
        ];
        let graph = r#"<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><g class="person" data-person="s-002" data-ring="1"/></svg>"#;
        let page = html(&Dossier {
            incident: &incident,
            contacts: &contacts,
            contact_graph_svg: graph,
            trajectory_svg: r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"/>"#,
            utc_offset_minutes: 480,
        });
        assert!(page.contains(r#"<body data-contacts="3">"#));
        assert_eq!(page.matches("<tr data-person=").count(), 3);
        assert!(page.contains(r#"data-places="t1-a2""#));
        assert!(page.contains("<option>canteen-unmasked</option>"));
        assert!(page.contains("<option>rest-area</option>"));
        assert!(page.contains("canteen &amp; co"), "escaped");
        assert!(
            !page.contains("<?xml"),
            "the pictures are inlined without their prolog"
        );
        assert!(
            !page.contains("src=\"http") && !page.contains("href=\"http"),
            "no outside resources"
        );
    }
}
