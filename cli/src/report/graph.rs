//! The contact subgraph around an index case (from `ExportSubgraph`): people as nodes with
//! their ring, exposures as edges with place, rule and minutes; written as GraphML for
//! Gephi and Cytoscape, or as DOT for Graphviz.

use std::fmt::Write as _;

use hallguard_proto::contact_tracing::v1::ExportSubgraphResponse;

use super::{kind_name, rule_name, xml_escape};

/// A person in the subgraph.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Person id.
    pub person_id: String,
    /// Visitor or staff.
    pub kind: String,
    /// 0 for the index case, 1 close, 2 secondary.
    pub ring: u32,
}

/// Exposures between two people.
#[derive(Debug, Clone, PartialEq)]
pub struct Edge {
    /// Index into the nodes.
    pub from: usize,
    /// Index into the nodes.
    pub to: usize,
    /// Places shared, e.g. `tax-area`.
    pub places: Vec<String>,
    /// Rules that applied.
    pub rules: Vec<String>,
    /// Total overlap in seconds.
    pub seconds: u64,
}

impl Edge {
    /// `tax-area, 23 min`: what a picture writes on the edge (queue neighbours share a
    /// place, not time, so theirs is the gate alone).
    pub fn label(&self) -> String {
        let places = self.places.join("+");
        if self.seconds == 0 {
            places
        } else {
            format!("{places}, {} min", self.seconds.div_ceil(60))
        }
    }
}

impl Edge {
    /// `same zone: tax-area, 23 min`: the rules that made the contact, then the label.
    pub fn label_with_rules(&self) -> String {
        format!("{}: {}", self.rules.join(" + "), self.label())
    }
}

/// The subgraph.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ContactGraph {
    /// People; the index case has ring 0.
    pub nodes: Vec<Node>,
    /// Exposures.
    pub edges: Vec<Edge>,
}

impl ContactGraph {
    /// From the service's answer; edges to nodes it did not list are dropped.
    pub fn from_export(export: &ExportSubgraphResponse) -> Self {
        let nodes: Vec<Node> = export
            .nodes
            .iter()
            .map(|node| {
                let person = node.person.clone().unwrap_or_default();
                Node {
                    kind: kind_name(&person).to_string(),
                    person_id: person.person_id,
                    ring: node.ring,
                }
            })
            .collect();
        let edges = export
            .edges
            .iter()
            .filter(|edge| (edge.from as usize) < nodes.len() && (edge.to as usize) < nodes.len())
            .map(|edge| {
                let mut places: Vec<String> = edge
                    .exposures
                    .iter()
                    .map(|e| e.place.clone().unwrap_or_default().place_id)
                    .collect();
                places.sort();
                places.dedup();
                let mut rules: Vec<String> = edge
                    .exposures
                    .iter()
                    .map(|e| rule_name(e.rule()).to_string())
                    .collect();
                rules.sort();
                rules.dedup();
                Edge {
                    from: edge.from as usize,
                    to: edge.to as usize,
                    places,
                    rules,
                    seconds: edge.exposures.iter().map(|e| e.seconds).sum(),
                }
            })
            .collect();
        Self { nodes, edges }
    }

    /// The index case, if the graph has one.
    pub fn index(&self) -> Option<&Node> {
        self.nodes.iter().find(|node| node.ring == 0)
    }
}

/// GraphML with node attributes `kind` and `ring` and edge attributes `places`, `rules`
/// and `minutes`.
pub fn graphml(graph: &ContactGraph) -> String {
    let mut out = String::from(concat!(
        r#"<?xml version="1.0" encoding="UTF-8"?>"#,
        "\n",
        r#"<graphml xmlns="http://graphml.graphdrawing.org/xmlns" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">"#,
        "\n",
        r#"  <key id="kind" for="node" attr.name="kind" attr.type="string"/>"#,
        "\n",
        r#"  <key id="ring" for="node" attr.name="ring" attr.type="int"/>"#,
        "\n",
        r#"  <key id="places" for="edge" attr.name="places" attr.type="string"/>"#,
        "\n",
        r#"  <key id="rules" for="edge" attr.name="rules" attr.type="string"/>"#,
        "\n",
        r#"  <key id="minutes" for="edge" attr.name="minutes" attr.type="double"/>"#,
        "\n",
        r#"  <graph id="contacts" edgedefault="undirected">"#,
        "\n",
    ));
    for node in &graph.nodes {
        let _ = writeln!(
            out,
            r#"    <node id="{}"><data key="kind">{}</data><data key="ring">{}</data></node>"#,
            xml_escape(&node.person_id),
            xml_escape(&node.kind),
            node.ring
        );
    }
    for (n, edge) in graph.edges.iter().enumerate() {
        let _ = writeln!(
            out,
            r#"    <edge id="e{n}" source="{}" target="{}"><data key="places">{}</data><data key="rules">{}</data><data key="minutes">{:.1}</data></edge>"#,
            xml_escape(&graph.nodes[edge.from].person_id),
            xml_escape(&graph.nodes[edge.to].person_id),
            xml_escape(&edge.places.join(";")),
            xml_escape(&edge.rules.join(";")),
            edge.seconds as f64 / 60.0
        );
    }
    out.push_str("  </graph>\n</graphml>\n");
    out
}

fn dot_quote(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// DOT for Graphviz (`neato -Tsvg`): the index case red, close contacts orange,
/// secondary contacts yellow; edges labelled with place and minutes.
pub fn dot(graph: &ContactGraph) -> String {
    let mut out = String::from("graph contacts {\n  overlap=false;\n  node [style=filled];\n");
    for node in &graph.nodes {
        let colour = match node.ring {
            0 => "#d62728",
            1 => "#ff9f40",
            _ => "#ffe08a",
        };
        let _ = writeln!(
            out,
            "  {} [fillcolor={}, ring={}, kind={}];",
            dot_quote(&node.person_id),
            dot_quote(colour),
            node.ring,
            dot_quote(&node.kind)
        );
    }
    for edge in &graph.edges {
        let _ = writeln!(
            out,
            "  {} -- {} [label={}];",
            dot_quote(&graph.nodes[edge.from].person_id),
            dot_quote(&graph.nodes[edge.to].person_id),
            dot_quote(&edge.label())
        );
    }
    out.push_str("}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample() -> ContactGraph {
        let node = |id: &str, ring| Node {
            person_id: id.into(),
            kind: "visitor".into(),
            ring,
        };
        ContactGraph {
            nodes: vec![node("index", 0), node("a<&>", 1), node("b\"q", 2)],
            edges: vec![
                Edge {
                    from: 0,
                    to: 1,
                    places: vec!["gate-east-in".into()],
                    rules: vec!["entry-queue neighbours".into()],
                    seconds: 45,
                },
                Edge {
                    from: 1,
                    to: 2,
                    places: vec!["tax-area".into()],
                    rules: vec!["same zone".into()],
                    seconds: 1_380,
                },
            ],
        }
    }

    #[test]
    fn dot_quotes_ids_and_labels_edges() {
        let text = dot(&sample());
        assert!(text.contains(r#""b\"q""#), "{text}");
        assert!(
            text.contains(r#""a<&>" -- "b\"q" [label="tax-area, 23 min"]"#),
            "{text}"
        );
        assert_eq!(text.matches(" -- ").count(), 2);
    }
}
