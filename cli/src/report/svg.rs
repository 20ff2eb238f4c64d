//! Pictures, written as plain SVG: the contact graph around an index case (index in the
//! centre, close contacts on the first ring, secondary contacts on the second, edges
//! labelled with place and minutes) and a trajectory timeline (the places a person was
//! in over time, with who else was there at the same time).

use std::collections::HashMap;
use std::f64::consts::TAU;
use std::fmt::Write as _;

use super::graph::{ContactGraph, Edge};
use super::{local_clock, xml_escape};

/// How a person was exposed (to the index case, or for a secondary contact to the close
/// contact who links them), the closest rule first: a colour each in the pictures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Category {
    Canteen,
    Queue,
    Zone,
    Index,
}

impl Category {
    fn colour(self) -> &'static str {
        match self {
            Category::Canteen => "#d62728",
            Category::Queue => "#9467bd",
            Category::Zone => "#1f77b4",
            Category::Index => "#111111",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Category::Canteen => "canteen",
            Category::Queue => "queue",
            Category::Zone => "zone",
            Category::Index => "index",
        }
    }

    fn legend(self) -> &'static str {
        match self {
            Category::Canteen => "canteen neighbour (adjacent or facing seat, unmasked)",
            Category::Queue => "entry-queue neighbour",
            Category::Zone => "same zone",
            Category::Index => "index case",
        }
    }
}

/// `node`'s edges towards the ring inside it (to the index case for a close contact, to
/// close contacts for a secondary one).
fn inward_edges(graph: &ContactGraph, node: usize) -> impl Iterator<Item = &Edge> {
    let ring = graph.nodes[node].ring;
    graph.edges.iter().filter(move |e| {
        let other = if e.from == node {
            e.to
        } else if e.to == node {
            e.from
        } else {
            return false;
        };
        graph.nodes[other].ring + 1 == ring
    })
}

/// The place of `node`'s longest exposure towards the ring inside it.
fn main_place(graph: &ContactGraph, node: usize) -> String {
    inward_edges(graph, node)
        .max_by_key(|e| e.seconds)
        .and_then(|e| e.places.first().cloned())
        .unwrap_or_default()
}

/// The closest way `node` was exposed on its edges towards the ring inside it.
fn category(graph: &ContactGraph, node: usize) -> Category {
    if graph.nodes[node].ring == 0 {
        return Category::Index;
    }
    inward_edges(graph, node)
        .flat_map(|e| e.rules.iter())
        .map(|rule| {
            if rule.contains("canteen") {
                Category::Canteen
            } else if rule.contains("queue") {
                Category::Queue
            } else {
                Category::Zone
            }
        })
        .min()
        .unwrap_or(Category::Zone)
}
/// Above this many people on a ring, names go into tooltips only.
const MAX_LABELLED: usize = 48;
/// Above this many people on a ring, the edges to them are not labelled.
const MAX_LABELLED_EDGES: usize = 24;

/// What the contact graph writes on its edges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EdgeLabels {
    /// Place and minutes, on the edges of rings small enough to stay readable.
    #[default]
    WhereRoomy,
    /// Rule, place and minutes on every edge between neighbouring rings (asked for with
    /// `--edge-labels`, for a picture zoomed in on).
    Every,
}

/// The contact graph around the index case. Every person is a node whose `<title>` holds
/// their id, and every edge's `<title>` its rule, place and minutes, so nothing is lost
/// when a ring is too crowded for names.
pub fn contact_graph(graph: &ContactGraph, title: &str, edge_labels: EdgeLabels) -> String {
    // Close contacts side by side by how and where they met the index case, so a ring of
    // hundreds reads as a few labelled groups rather than a circle of dots.
    let mut ring1: Vec<usize> = ring_members(graph, 1);
    ring1.sort_by_cached_key(|&n| {
        (
            category(graph, n),
            main_place(graph, n),
            graph.nodes[n].person_id.clone(),
        )
    });
    let ring2_count = graph.nodes.iter().filter(|n| n.ring >= 2).count();
    let size = 1000.0_f64
        .max(12.0 * (ring2_count as f64).sqrt() * 20.0)
        .min(4000.0);
    let centre = size / 2.0;
    let (r1, r2) = (size * 0.22, size * 0.42);
    // Each close contact gets a sector of the circle as wide as the secondary contacts
    // it links (at least one share); those sit on the outer ring inside that sector, so
    // lines stay short and do not cross the centre.
    let mut children: HashMap<usize, Vec<usize>> = HashMap::new();
    let mut orphans = Vec::new();
    for node in ring_members(graph, 2) {
        let parent = graph
            .edges
            .iter()
            .filter_map(|e| {
                let other = if e.from == node {
                    e.to
                } else if e.to == node {
                    e.from
                } else {
                    return None;
                };
                (graph.nodes[other].ring == 1).then_some((e.seconds, std::cmp::Reverse(other), other))
            })
            .max()
            .map(|(_, _, other)| other);
        match parent {
            Some(parent) => children.entry(parent).or_default().push(node),
            None => orphans.push(node),
        }
    }
    let share = |node: usize| children.get(&node).map_or(1, |c| c.len().max(1));
    let total = ring1.iter().map(|&n| share(n)).sum::<usize>() + orphans.len();
    let mut at: HashMap<usize, (f64, f64)> = HashMap::new();
    if let Some(index) = graph.nodes.iter().position(|n| n.ring == 0) {
        at.insert(index, (centre, centre));
    }
    let point = |radius: f64, angle: f64| (centre + radius * angle.cos(), centre + radius * angle.sin());
    let unit = TAU / total.max(1) as f64;
    let mut from_angle = -TAU / 4.0;
    // Each group of close contacts (same way, same place) spans an arc: (place, count,
    // from, to).
    let mut groups: Vec<(String, usize, f64, f64)> = Vec::new();
    for &node in &ring1 {
        let width = unit * share(node) as f64;
        at.insert(node, point(r1, from_angle + width / 2.0));
        for (k, &child) in children.get(&node).into_iter().flatten().enumerate() {
            at.insert(child, point(r2, from_angle + unit * (k as f64 + 0.5)));
        }
        let place = main_place(graph, node);
        match groups.last_mut() {
            Some(group) if group.0 == place => {
                group.1 += 1;
                group.3 = from_angle + width;
            }
            _ => groups.push((place, 1, from_angle, from_angle + width)),
        }
        from_angle += width;
    }
    for (k, &node) in orphans.iter().enumerate() {
        at.insert(node, point(r2, from_angle + unit * (k as f64 + 0.5)));
    }

    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{size:.0}" height="{size:.0}" viewBox="0 0 {size:.0} {size:.0}" font-family="sans-serif">"#
    );
    let _ = writeln!(svg, r##"<rect width="100%" height="100%" fill="#ffffff"/>"##);
    for radius in [r1, r2] {
        let _ = writeln!(
            svg,
            r##"<circle cx="{centre:.1}" cy="{centre:.1}" r="{radius:.1}" fill="none" stroke="#dddddd" stroke-dasharray="6 6"/>"##
        );
    }
    let label_edges =
        |ring: u32, most: usize| -> bool { graph.nodes.iter().filter(|n| n.ring == ring).count() <= most };
    svg.push_str("<g class=\"edges\">\n");
    for edge in &graph.edges {
        let (Some(&(x1, y1)), Some(&(x2, y2))) = (at.get(&edge.from), at.get(&edge.to)) else {
            continue;
        };
        let outer = graph.nodes[edge.from].ring.max(graph.nodes[edge.to].ring);
        let inner = graph.nodes[edge.from].ring.min(graph.nodes[edge.to].ring);
        let (stroke, width) = if inner == 0 {
            ("#d62728", 1.6)
        } else {
            ("#999999", 0.8)
        };
        let _ = writeln!(
            svg,
            r#"<line x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}" stroke="{stroke}" stroke-width="{width}" stroke-opacity="0.6"><title>{}</title></line>"#,
            xml_escape(&format!(
                "{} – {}: {}",
                graph.nodes[edge.from].person_id,
                graph.nodes[edge.to].person_id,
                edge.label_with_rules()
            ))
        );
        let text = match edge_labels {
            EdgeLabels::Every => Some(edge.label_with_rules()),
            EdgeLabels::WhereRoomy => label_edges(outer, MAX_LABELLED_EDGES).then(|| edge.label()),
        };
        if let Some(text) = text.filter(|_| inner + 1 == outer) {
            let (mx, my) = ((x1 + x2) / 2.0, (y1 + y2) / 2.0);
            let _ = writeln!(
                svg,
                r##"<text x="{mx:.1}" y="{my:.1}" font-size="10" fill="#555555" text-anchor="middle" class="edge-label">{}</text>"##,
                xml_escape(&text)
            );
        }
    }
    // Groups of three or more close contacts are named by their place, beside the ring.
    svg.push_str("</g>\n<g class=\"places\">\n");
    for (place, count, from, to) in groups.iter().filter(|g| g.1 >= 3) {
        let (x, y) = point((r1 + r2) / 2.0, (from + to) / 2.0);
        let _ = writeln!(
            svg,
            r##"<text x="{x:.1}" y="{y:.1}" font-size="{:.0}" fill="#444444" text-anchor="middle" data-place="{place}">{place} ({count})</text>"##,
            13.0 * (size / 1000.0),
            place = xml_escape(place),
        );
    }
    svg.push_str("</g>\n<g class=\"people\">\n");
    for (n, node) in graph.nodes.iter().enumerate() {
        let Some(&(x, y)) = at.get(&n) else { continue };
        let ring = node.ring.min(2) as usize;
        let radius: f64 = [16.0, 8.0, 5.0][ring];
        let category = category(graph, n);
        // Staff are squares, visitors circles; secondary contacts paler.
        let shape = if node.kind == "staff" {
            format!(
                r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}""#,
                x - radius,
                y - radius,
                2.0 * radius,
                2.0 * radius
            )
        } else {
            format!(r#"<circle cx="{x:.1}" cy="{y:.1}" r="{radius}""#)
        };
        let _ = write!(
            svg,
            r##"<g class="person" data-person="{id}" data-ring="{ring}" data-category="{name}"><title>{id} ({kind}, ring {ring}, {legend})</title>{shape} fill="{colour}" fill-opacity="{opacity}" stroke="#333333" stroke-width="0.8"/>"##,
            id = xml_escape(&node.person_id),
            kind = xml_escape(&node.kind),
            ring = node.ring,
            name = category.name(),
            legend = category.legend(),
            colour = category.colour(),
            opacity = if ring == 2 { "0.55" } else { "1" },
        );
        // Close contacts are named when few; a canteen neighbour always (the closest rule).
        let named =
            ring == 0 || label_edges(node.ring, MAX_LABELLED) || (ring == 1 && category == Category::Canteen);
        if named {
            let _ = write!(
                svg,
                r#"<text x="{:.1}" y="{:.1}" font-size="{}" text-anchor="middle">{}</text>"#,
                x,
                y - radius - 3.0,
                if ring == 0 { 14 } else { 10 },
                xml_escape(&short(&node.person_id))
            );
        }
        svg.push_str("</g>\n");
    }
    svg.push_str("</g>\n");
    let count = |wanted: Category| {
        (0..graph.nodes.len())
            .filter(|&n| graph.nodes[n].ring == 1 && category(graph, n) == wanted)
            .count()
    };
    let legend = [
        (
            Category::Index,
            format!(
                "index case {} (centre)",
                graph.index().map_or("", |n| n.person_id.as_str())
            ),
        ),
        (
            Category::Canteen,
            format!(
                "{} close contacts: {}",
                count(Category::Canteen),
                Category::Canteen.legend()
            ),
        ),
        (
            Category::Queue,
            format!(
                "{} close contacts: {}",
                count(Category::Queue),
                Category::Queue.legend()
            ),
        ),
        (
            Category::Zone,
            format!(
                "{} close contacts: {}",
                count(Category::Zone),
                Category::Zone.legend()
            ),
        ),
    ];
    // Text scales with the canvas, so it reads at the size the picture is shown.
    let scale = size / 1000.0;
    let _ = writeln!(
        svg,
        r#"<text x="{:.0}" y="{:.0}" font-size="{:.0}" font-weight="bold">{}</text>"#,
        16.0 * scale,
        28.0 * scale,
        18.0 * scale,
        xml_escape(title)
    );
    let lines = legend.iter().map(|(category, text)| (category.colour(), text.clone())).chain([
        (
            "#ffffff",
            format!(
                "{} close contacts (inner ring), {ring2_count} secondary contacts (outer ring, paler); squares: staff, circles: visitors",
                ring1.len()
            ),
        ),
    ]);
    for (k, (colour, text)) in lines.enumerate() {
        let y = (52.0 + 20.0 * k as f64) * scale;
        let _ = writeln!(
            svg,
            r##"<circle cx="{:.1}" cy="{:.1}" r="{:.1}" fill="{colour}" stroke="#333333"/><text x="{:.1}" y="{y:.1}" font-size="{:.0}">{}</text>"##,
            24.0 * scale,
            y - 4.0 * scale,
            6.0 * scale,
            36.0 * scale,
            13.0 * scale,
            xml_escape(&text)
        );
    }
    svg.push_str("</svg>\n");
    svg
}

fn ring_members(graph: &ContactGraph, ring: u32) -> Vec<usize> {
    let mut members: Vec<usize> = (0..graph.nodes.len())
        .filter(|&n| graph.nodes[n].ring == ring)
        .collect();
    members.sort_by(|&a, &b| graph.nodes[a].person_id.cmp(&graph.nodes[b].person_id));
    members
}

/// Pseudonyms are long hashes: the first 8 characters name a person in a picture.
fn short(person_id: &str) -> String {
    person_id.chars().take(8).collect()
}

/// A place the person was in, and who else was there meanwhile.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineStop {
    /// Place label, e.g. `zone tax-area`.
    pub place: String,
    /// From, UTC milliseconds.
    pub start: i64,
    /// To.
    pub end: i64,
    /// Others present at the same time: person id, from, to.
    pub others: Vec<(String, i64, i64)>,
}

/// Others drawn per stop; the rest are counted.
const OTHERS_SHOWN: usize = 12;

/// A trajectory timeline: one lane per stop with the person's bar, and under it the
/// bars of who was there at the same time.
pub fn trajectory_timeline(person_id: &str, stops: &[TimelineStop], utc_offset_minutes: i32) -> String {
    let (left, width) = (180.0, 900.0);
    let from = stops.iter().map(|s| s.start).min().unwrap_or(0) - 10 * 60_000;
    let to = stops.iter().map(|s| s.end).max().unwrap_or(0) + 10 * 60_000;
    let span = (to - from).max(1) as f64;
    let x = |t: i64| left + width * (t - from) as f64 / span;
    let rows: usize = stops
        .iter()
        .map(|s| 1 + s.others.len().min(OTHERS_SHOWN) + usize::from(s.others.len() > OTHERS_SHOWN))
        .sum();
    let height = 90.0 + 16.0 * rows as f64 + 14.0 * stops.len() as f64 + 30.0;
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{:.0}" height="{height:.0}" viewBox="0 0 {:.0} {height:.0}" font-family="sans-serif">"#,
        left + width + 40.0,
        left + width + 40.0
    );
    let _ = writeln!(svg, r##"<rect width="100%" height="100%" fill="#ffffff"/>"##);
    let _ = writeln!(
        svg,
        r#"<text x="16" y="26" font-size="17" font-weight="bold">Trajectory of {}</text>"#,
        xml_escape(person_id)
    );
    // Ticks every 10 minutes to every hour, so even a few minutes at a gate have an axis.
    let step = if span <= 3_600_000.0 {
        10
    } else if span < 4.0 * 3_600_000.0 {
        30
    } else {
        60
    } * 60_000;
    let mut tick = from - from.rem_euclid(step) + step;
    while tick < to {
        let tx = x(tick);
        let _ = writeln!(
            svg,
            r##"<line x1="{tx:.1}" y1="44" x2="{tx:.1}" y2="{:.1}" stroke="#eeeeee"/><text x="{tx:.1}" y="40" font-size="10" text-anchor="middle" fill="#666666">{}</text>"##,
            height - 20.0,
            local_clock(tick, utc_offset_minutes)
        );
        tick += step;
    }
    let mut y = 60.0;
    for stop in stops {
        let _ = writeln!(
            svg,
            r##"<g class="stop" data-place="{place}"><text x="16" y="{:.1}" font-size="12" font-weight="bold">{place}</text><rect x="{:.1}" y="{:.1}" width="{:.1}" height="12" fill="#d62728"><title>{place}: {} – {}</title></rect></g>"##,
            y + 10.0,
            x(stop.start),
            y,
            (x(stop.end) - x(stop.start)).max(2.0),
            local_clock(stop.start, utc_offset_minutes),
            local_clock(stop.end, utc_offset_minutes),
            place = xml_escape(&stop.place),
        );
        y += 16.0;
        let mut others = stop.others.clone();
        others.sort_by(|a, b| {
            let overlap = |o: &(String, i64, i64)| o.2.min(stop.end) - o.1.max(stop.start);
            overlap(b).cmp(&overlap(a)).then(a.0.cmp(&b.0))
        });
        for (other, start, end) in others.iter().take(OTHERS_SHOWN) {
            // Others' stays may begin before or end after the drawn span: cut to it, so
            // no bar runs over the names or off the edge.
            let (shown_start, shown_end) = ((*start).max(from), (*end).min(to));
            let _ = writeln!(
                svg,
                r##"<g class="other" data-person="{id}"><text x="28" y="{:.1}" font-size="10" fill="#555555">{short}</text><rect x="{:.1}" y="{:.1}" width="{:.1}" height="8" fill="#ff7f0e" fill-opacity="0.7"><title>{id}: {} – {}</title></rect></g>"##,
                y + 8.0,
                x(shown_start),
                y + 1.0,
                (x(shown_end) - x(shown_start)).max(2.0),
                local_clock(*start, utc_offset_minutes),
                local_clock(*end, utc_offset_minutes),
                id = xml_escape(other),
                short = xml_escape(&short(other)),
            );
            y += 16.0;
        }
        if others.len() > OTHERS_SHOWN {
            let _ = writeln!(
                svg,
                r##"<text x="28" y="{:.1}" font-size="10" fill="#555555">and {} more</text>"##,
                y + 8.0,
                others.len() - OTHERS_SHOWN
            );
            y += 16.0;
        }
        y += 14.0;
    }
    svg.push_str("</svg>\n");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::graph::{Edge, Node};

    fn node(id: &str, kind: &str, ring: u32) -> Node {
        Node {
            person_id: id.into(),
            kind: kind.into(),
            ring,
        }
    }

    #[test]
    fn a_canteen_neighbour_among_many_zone_contacts_is_coloured_and_named() {
        let mut graph = ContactGraph {
            nodes: vec![node("index", "staff", 0), node("neighbour", "staff", 1)],
            edges: vec![Edge {
                from: 0,
                to: 1,
                places: vec!["t1-a2".into()],
                rules: vec!["adjacent canteen seats".into(), "same zone".into()],
                seconds: 1_800,
            }],
        };
        for n in 0..60 {
            graph.nodes.push(node(&format!("visitor-{n:02}"), "visitor", 1));
            graph.edges.push(Edge {
                from: 0,
                to: n + 2,
                places: vec!["tax-area".into()],
                rules: vec!["same zone".into()],
                seconds: 1_200,
            });
        }
        let svg = contact_graph(&graph, "Contacts of index", EdgeLabels::WhereRoomy);
        assert!(
            svg.contains(r#"data-person="neighbour" data-ring="1" data-category="canteen""#),
            "{svg}"
        );
        assert!(svg.contains(">neighbou</text>"), "the canteen neighbour is named");
        assert!(
            !svg.contains(">visitor-</text>"),
            "60 zone contacts are tooltips only"
        );
        assert!(svg.contains(r#"data-person="visitor-07" data-ring="1" data-category="zone""#));
        // Staff are squares, visitors circles.
        let neighbour = &svg[svg.find(r#"data-person="neighbour""#).unwrap()..];
        assert!(neighbour.split("</g>").next().unwrap().contains("<rect "));
        let visitor = &svg[svg.find(r#"data-person="visitor-07""#).unwrap()..];
        assert!(visitor.split("</g>").next().unwrap().contains("<circle "));
        assert!(svg.contains("1 close contacts: canteen neighbour"), "{svg}");
        // Sixty people met at the tax area read as one named group.
        assert!(
            svg.contains(r#"data-place="tax-area">tax-area (60)</text>"#),
            "{svg}"
        );
        // Too many edges to write on; each keeps its rule in the tooltip.
        assert_eq!(svg.matches("class=\"edge-label\"").count(), 0);
        assert!(
            svg.contains("index – visitor-07: same zone: tax-area, 20 min"),
            "{svg}"
        );
        // Asked for: the rule and minutes on every edge.
        let labelled = contact_graph(&graph, "Contacts of index", EdgeLabels::Every);
        assert_eq!(labelled.matches("class=\"edge-label\"").count(), 61);
        assert!(
            labelled.contains(">adjacent canteen seats + same zone: t1-a2, 30 min</text>"),
            "{labelled}"
        );
    }

    #[test]
    fn a_gate_case_has_a_time_axis_and_others_bars_stay_inside_the_drawing() {
        const MINUTE: i64 = 60_000;
        let at = 1_795_835_700_000; // 11:15 local (+08:00)
        let stops = [TimelineStop {
            place: "entry queue gate-east-in".into(),
            start: at,
            end: at,
            // Someone in the queue area since long before, until long after.
            others: vec![("hc-early".into(), at - 300 * MINUTE, at + 300 * MINUTE)],
        }];
        let svg = trajectory_timeline("hc-index", &stops, 480);
        let ticks = svg.matches(r##"text-anchor="middle" fill="#666666""##).count();
        assert!(ticks >= 2, "{svg}");
        for rect in svg.split("<rect x=\"").skip(1) {
            let x: f64 = rect.split('"').next().unwrap().parse().unwrap();
            let width: f64 = rect
                .split("width=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap()
                .parse()
                .unwrap();
            assert!(x >= 180.0 && x + width <= 180.0 + 900.0 + 0.1, "{rect}");
        }
    }
}
