//! The access graph as a picture: the principals and resources on the paths of an answer, laid
//! out in layers (Sugiyama's method, by `rust-sugiyama`) for the server to draw as SVG. Holders
//! point down to what they hold, so a person is on top of their teams and a repository below
//! everyone who reaches it.
//!
//! A neighbourhood stays readable up to [`MAX_NODES`]: past that, principals that only hold
//! one team, group or role (its members) are folded into it as a count, and so are resources
//! reached only through one container, the biggest crowds first, until it fits; what is
//! still too much is left out and counted.

use crate::access::graph::AccessPath;
use crate::grant::Resource;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Nodes drawn at most.
pub const MAX_NODES: usize = 300;

/// Characters of a name drawn in a box; the whole name is in its tooltip.
pub const LABEL_CHARS: usize = 32;

/// Box height, the width of a character and the padding of a box, in SVG units.
#[cfg(feature = "store")]
const BOX_HEIGHT: f64 = 40.0;
#[cfg(feature = "store")]
const CHAR_WIDTH: f64 = 7.2;
#[cfg(feature = "store")]
const BOX_PADDING: f64 = 16.0;
/// Room between layers (for the edge labels) and between boxes of one layer.
#[cfg(feature = "store")]
const LAYER_GAP: f64 = 70.0;
#[cfg(feature = "store")]
const BOX_GAP: f64 = 24.0;
#[cfg(feature = "store")]
const MARGIN: f64 = 12.0;

/// A laid-out access graph.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Picture {
    pub nodes: Vec<PictureNode>,
    pub edges: Vec<PictureEdge>,
    pub width: f64,
    pub height: f64,
    /// Principals and resources folded into a neighbour's count.
    pub folded: usize,
    /// Nodes left out beyond [`MAX_NODES`] after folding.
    pub omitted: usize,
}

/// A principal or resource: its box's centre and size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PictureNode {
    pub id: String,
    pub name: String,
    pub kind: String,
    /// What the question was about.
    pub focus: bool,
    /// Held by someone on a path (a resource, or a team its members hold); otherwise only a
    /// holder. Says which question about it to link to.
    pub held: bool,
    /// Principals holding this node, folded into it (its members, when it is a team).
    pub holders_folded: u64,
    /// Resources this node holds, folded into it.
    pub held_folded: u64,
    /// Its own answers are drawn as well (see [`Neighbourhood::expand`]).
    #[serde(default)]
    pub expanded: bool,
    /// Its one-edge neighbours were folded into it on request ([`Neighbourhood::fold_around`]).
    #[serde(default)]
    pub folded_by_hand: bool,
    /// Neighbours drawn that have no other edge: what folding it would hide.
    #[serde(default)]
    pub leaves: usize,
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

impl PictureNode {
    /// The name as drawn: at most [`LABEL_CHARS`] characters.
    pub fn label(&self) -> String {
        short(&self.name)
    }

    /// What folding hid, for a line under the name: `+12 members · +3 resources`.
    pub fn folded_note(&self) -> Option<String> {
        let mut parts = Vec::new();
        if self.holders_folded > 0 {
            parts.push(format!("+{} holders", self.holders_folded));
        }
        if self.held_folded > 0 {
            parts.push(format!("+{} held", self.held_folded));
        }
        (!parts.is_empty()).then(|| parts.join(" · "))
    }
}

/// Where a box and its controls lead (see [`Picture::to_svg`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeLinks {
    /// The box: the same question about this node.
    pub focus: String,
    /// A "+" control: the link and what it does, for its tooltip.
    pub open: Option<(String, String)>,
    /// A "−" control.
    pub close: Option<(String, String)>,
}

/// The radius of a box's control, and the room it takes at the box's right.
const CONTROL_RADIUS: f64 = 8.0;

impl Picture {
    /// The picture as an SVG document: edges (each with its label and a tooltip), then one
    /// box per node, a link to `links(node).focus`, with its "+" and "−" controls beside.
    /// Every name is escaped: they come from payloads.
    pub fn to_svg(&self, links: impl Fn(&PictureNode) -> NodeLinks) -> String {
        use std::fmt::Write as _;
        let (width, height) = (self.width.ceil(), self.height.ceil());
        let mut out = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
             viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"Access graph\">\
             <defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" \
             markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\">\
             <path d=\"M 0 0 L 10 5 L 0 10 z\"/></marker></defs><g class=\"edges\">"
        );
        for edge in &self.edges {
            let (Some(from), Some(to)) = (self.nodes.get(edge.from), self.nodes.get(edge.to))
            else {
                continue;
            };
            // From the bottom of the holder to the top of what it holds (the other way round
            // for an edge the layout turned to break a cycle), as a gentle S-curve.
            let (x1, x2) = (from.x, to.x);
            let (y1, y2) = if from.y <= to.y {
                (from.y + from.height / 2.0, to.y - to.height / 2.0)
            } else {
                (from.y - from.height / 2.0, to.y + to.height / 2.0)
            };
            let middle = (y1 + y2) / 2.0;
            let _ = write!(
                out,
                "<g class=\"edge\"><title>{} → {}: {}</title>\
                 <path d=\"M {x1:.1} {y1:.1} C {x1:.1} {middle:.1}, {x2:.1} {middle:.1}, {x2:.1} {y2:.1}\" \
                 marker-end=\"url(#arrow)\"/>\
                 <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text></g>",
                escape(&from.name),
                escape(&to.name),
                escape(&edge.label),
                (x1 + x2) / 2.0,
                middle + 4.0,
                escape(&short(&edge.label)),
            );
        }
        out.push_str("</g><g class=\"nodes\">");
        for node in &self.nodes {
            let links = links(node);
            let note = node.folded_note();
            let name_y = if note.is_some() {
                node.y - 2.0
            } else {
                node.y + 4.0
            };
            let _ = write!(
                out,
                "<a href=\"{}\" class=\"node{}\"><title>{} ({}) {}</title>\
                 <rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" rx=\"6\"/>\
                 <text x=\"{:.1}\" y=\"{name_y:.1}\" text-anchor=\"middle\">{}</text>",
                escape(&links.focus),
                if node.focus { " focus" } else { "" },
                escape(&node.name),
                escape(&node.kind),
                escape(&node.id),
                node.x - node.width / 2.0,
                node.y - node.height / 2.0,
                node.width,
                node.height,
                node.x,
                escape(&node.label()),
            );
            if let Some(note) = note {
                let _ = write!(
                    out,
                    "<text class=\"note\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                    node.x,
                    node.y + 13.0,
                    escape(&note)
                );
            }
            out.push_str("</a>");
            // Controls on the box's right edge, "+" above "−".
            let right = node.x + node.width / 2.0;
            for (n, (control, sign, class)) in
                [(&links.open, "+", "open"), (&links.close, "−", "close")]
                    .into_iter()
                    .enumerate()
            {
                let Some((href, what)) = control else {
                    continue;
                };
                let cy = node.y - node.height / 2.0
                    + CONTROL_RADIUS
                    + n as f64 * 2.0 * CONTROL_RADIUS
                    + 2.0;
                let _ = write!(
                    out,
                    "<a href=\"{}\" class=\"control {class}\" aria-label=\"{}\"><title>{}</title>\
                     <circle cx=\"{right:.1}\" cy=\"{cy:.1}\" r=\"{CONTROL_RADIUS}\"/>\
                     <text x=\"{right:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{sign}</text></a>",
                    escape(href),
                    escape(what),
                    escape(what),
                    cy + 4.0,
                );
            }
        }
        out.push_str("</g></svg>");
        out
    }
}

/// Text and attribute values escaped for XML.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters are not allowed in XML 1.0 at all.
            c if c.is_control() && !matches!(c, '\t' | '\n' | '\r') => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// A grant: `from` (the holder) holds `label` on `to`; indexes into [`Picture::nodes`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PictureEdge {
    pub from: usize,
    pub to: usize,
    /// The permission, and how it is held when not directly: `admin via policy:Admin`.
    pub label: String,
}

fn short(text: &str) -> String {
    if text.chars().count() <= LABEL_CHARS {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(LABEL_CHARS - 1).collect();
    out.push('…');
    out
}

/// The graph of paths before layout: nodes in the order first met, edges deduplicated.
#[derive(Debug, Default)]
pub struct Neighbourhood {
    nodes: Vec<PictureNode>,
    index: HashMap<String, usize>,
    edges: Vec<PictureEdge>,
    seen: std::collections::HashSet<(usize, usize, String)>,
}

impl Neighbourhood {
    /// Starts from what the question was about (`(id, name, kind)`), drawn highlighted;
    /// `held`: it was asked about as a resource.
    pub fn new(focus: &[(String, String, String)], held: bool) -> Neighbourhood {
        let mut graph = Neighbourhood::default();
        for (id, name, kind) in focus {
            let n = graph.node(id, name, kind, held);
            graph.nodes[n].focus = true;
        }
        graph
    }

    fn node(&mut self, id: &str, name: &str, kind: &str, held: bool) -> usize {
        if let Some(&n) = self.index.get(id) {
            self.nodes[n].held |= held;
            return n;
        }
        self.nodes.push(PictureNode {
            id: id.to_owned(),
            name: name.to_owned(),
            kind: kind.to_owned(),
            focus: false,
            held,
            holders_folded: 0,
            held_folded: 0,
            expanded: false,
            folded_by_hand: false,
            leaves: 0,
            x: 0.0,
            y: 0.0,
            width: 0.0,
            height: 0.0,
        });
        self.index.insert(id.to_owned(), self.nodes.len() - 1);
        self.nodes.len() - 1
    }

    /// Adds every hop of `path`.
    pub fn add_path(&mut self, path: &AccessPath) {
        for hop in &path.hops {
            let from = self.node(
                &hop.principal.id,
                &hop.principal.name,
                &hop.principal.kind,
                false,
            );
            let to = self.node(
                &hop.resource.id,
                &hop.resource.name,
                &hop.resource.kind,
                true,
            );
            // A role that may assume itself is true, and no edge worth drawing.
            if from == to {
                continue;
            }
            let label = if hop.via.is_empty() {
                hop.permission.clone()
            } else {
                format!("{} via {}", hop.permission, hop.via)
            };
            if self.seen.insert((from, to, label.clone())) {
                self.edges.push(PictureEdge { from, to, label });
            }
        }
    }

    /// Draws `container` holding `resource`: where a holder's paths end on a container of the
    /// resource asked about (a GCP project, an Azure subscription), the picture still leads to
    /// the resource.
    /// `resource_id` is drawn already (the focus, or a node expanded); otherwise nothing is.
    pub fn add_containment(&mut self, container: &Resource, resource_id: &str) {
        let Some(&to) = self.index.get(resource_id) else {
            return;
        };
        let from = self.node(&container.id, &container.name, &container.kind, true);
        let label = "contains".to_owned();
        if from != to && self.seen.insert((from, to, label.clone())) {
            self.edges.push(PictureEdge { from, to, label });
        }
    }

    /// Marks `id` as expanded: the caller has added the paths of its own answers (what it
    /// holds and who holds it). Unknown ids are ignored.
    pub fn mark_expanded(&mut self, id: &str) {
        if let Some(&n) = self.index.get(id) {
            self.nodes[n].expanded = true;
        }
    }

    /// Folds the neighbours of `id` that have no other edge (a team's members, a team's
    /// repositories) into its counts, as asked by whoever reads the picture. The focus is never
    /// folded. Returns how many were folded.
    #[cfg(feature = "store")]
    pub fn fold_around(&mut self, id: &str) -> usize {
        let Some(&into) = self.index.get(id) else {
            return 0;
        };
        let degree = self.degrees();
        let mut gone = vec![false; self.nodes.len()];
        let (mut holders, mut held) = (0u64, 0u64);
        for edge in &self.edges {
            let (leaf, holding) = if edge.to == into {
                (edge.from, true)
            } else if edge.from == into {
                (edge.to, false)
            } else {
                continue;
            };
            if leaf == into || degree[leaf] != 1 || self.nodes[leaf].focus || gone[leaf] {
                continue;
            }
            gone[leaf] = true;
            if holding {
                holders += 1;
            } else {
                held += 1;
            }
        }
        let node = &mut self.nodes[into];
        node.holders_folded += holders;
        node.held_folded += held;
        node.folded_by_hand = true;
        let folded = (holders + held) as usize;
        if folded > 0 {
            self.keep(|n| !gone[n]);
        }
        folded
    }

    /// How many edges each node has.
    #[cfg(feature = "store")]
    fn degrees(&self) -> Vec<usize> {
        let mut degree = vec![0usize; self.nodes.len()];
        for edge in &self.edges {
            degree[edge.from] += 1;
            degree[edge.to] += 1;
        }
        degree
    }

    /// Counts `members` principals on `id` that were not listed (a crowded team).
    pub fn add_unlisted_holders(&mut self, id: &str, members: u64) {
        if let Some(&n) = self.index.get(id) {
            self.nodes[n].holders_folded += members;
        }
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Folds, trims and lays out the graph.
    #[cfg(feature = "store")]
    pub fn picture(mut self) -> Result<Picture, String> {
        let folded = if self.nodes.len() > MAX_NODES {
            self.fold_leaves(MAX_NODES)
        } else {
            0
        };
        let omitted = self.trim(MAX_NODES);
        let degree = self.degrees();
        for edge in &self.edges {
            if degree[edge.from] == 1 && !self.nodes[edge.from].focus {
                self.nodes[edge.to].leaves += 1;
            }
            if degree[edge.to] == 1 && !self.nodes[edge.to].focus {
                self.nodes[edge.from].leaves += 1;
            }
        }
        let mut picture = layout(self.nodes, self.edges)?;
        picture.folded = folded;
        picture.omitted = omitted;
        Ok(picture)
    }

    /// Folds nodes with one edge (not the focus) into their neighbour where it has at least
    /// two such (a team's members, a team's repositories), biggest groups first, until the
    /// graph fits in `max`. Returns how many were folded.
    #[cfg(feature = "store")]
    fn fold_leaves(&mut self, max: usize) -> usize {
        let degree = self.degrees();
        // Per neighbour and direction: its leaves that hold it (members), or that it holds.
        let mut groups: HashMap<(usize, bool), Vec<usize>> = HashMap::new();
        for edge in &self.edges {
            if degree[edge.from] == 1 && !self.nodes[edge.from].focus {
                groups.entry((edge.to, true)).or_default().push(edge.from);
            } else if degree[edge.to] == 1 && !self.nodes[edge.to].focus {
                groups.entry((edge.from, false)).or_default().push(edge.to);
            }
        }
        let mut groups: Vec<((usize, bool), Vec<usize>)> = groups
            .into_iter()
            .filter(|(_, leaves)| leaves.len() >= 2)
            .collect();
        // Biggest first; ties in the order the nodes were met, so answers are stable.
        groups.sort_by_key(|((into, _), leaves)| (std::cmp::Reverse(leaves.len()), *into));
        let mut gone = vec![false; self.nodes.len()];
        let mut left = self.nodes.len();
        let mut folded = 0;
        for ((into, holding), leaves) in groups {
            if left <= max {
                break;
            }
            for &leaf in &leaves {
                gone[leaf] = true;
            }
            let count = leaves.len() as u64;
            if holding {
                self.nodes[into].holders_folded += count;
            } else {
                self.nodes[into].held_folded += count;
            }
            folded += leaves.len();
            left -= leaves.len();
        }
        self.keep(|n| !gone[n]);
        folded
    }

    /// Keeps the `max` nodes nearest the focus (in hops either way; ties in the order they
    /// were met) and the edges between them; returns how many were left out.
    #[cfg(feature = "store")]
    fn trim(&mut self, max: usize) -> usize {
        let before = self.nodes.len();
        if before <= max {
            return 0;
        }
        let mut neighbours: Vec<Vec<usize>> = vec![Vec::new(); before];
        for edge in &self.edges {
            neighbours[edge.from].push(edge.to);
            neighbours[edge.to].push(edge.from);
        }
        let mut distance = vec![usize::MAX; before];
        let mut queue = std::collections::VecDeque::new();
        for (n, node) in self.nodes.iter().enumerate() {
            if node.focus {
                distance[n] = 0;
                queue.push_back(n);
            }
        }
        while let Some(n) = queue.pop_front() {
            for &next in &neighbours[n] {
                if distance[next] == usize::MAX {
                    distance[next] = distance[n] + 1;
                    queue.push_back(next);
                }
            }
        }
        let mut order: Vec<usize> = (0..before).collect();
        order.sort_by_key(|&n| (distance[n], n));
        let mut kept = vec![false; before];
        for &n in order.iter().take(max) {
            kept[n] = true;
        }
        self.keep(|n| kept[n]);
        before - self.nodes.len()
    }

    #[cfg(feature = "store")]
    fn keep(&mut self, keep: impl Fn(usize) -> bool) {
        let mut renumber = vec![None; self.nodes.len()];
        let mut nodes = Vec::new();
        for (n, node) in std::mem::take(&mut self.nodes).into_iter().enumerate() {
            if keep(n) {
                renumber[n] = Some(nodes.len());
                nodes.push(node);
            }
        }
        self.nodes = nodes;
        self.edges = std::mem::take(&mut self.edges)
            .into_iter()
            .filter_map(|edge| {
                Some(PictureEdge {
                    from: renumber[edge.from]?,
                    to: renumber[edge.to]?,
                    label: edge.label,
                })
            })
            .collect();
        self.index = self
            .nodes
            .iter()
            .enumerate()
            .map(|(n, node)| (node.id.clone(), n))
            .collect();
    }
}

/// Box sizes from the labels, layers and order from `rust-sugiyama`; its connected parts side
/// by side, the one with the focus first.
#[cfg(feature = "store")]
fn layout(mut nodes: Vec<PictureNode>, edges: Vec<PictureEdge>) -> Result<Picture, String> {
    use rust_sugiyama::configure::Config;

    for node in &mut nodes {
        let chars = node
            .label()
            .chars()
            .count()
            .max(node.folded_note().map_or(0, |n| n.chars().count()));
        node.width = chars as f64 * CHAR_WIDTH + 2.0 * BOX_PADDING;
        node.height = BOX_HEIGHT;
    }
    if nodes.is_empty() {
        return Ok(Picture::default());
    }
    let ids = |n: usize| u32::try_from(n).map_err(|_| "too many nodes to draw".to_owned());
    let vertices = nodes
        .iter()
        .enumerate()
        .map(|(n, node)| Ok((ids(n)?, (node.width, node.height + LAYER_GAP))))
        .collect::<Result<Vec<_>, String>>()?;
    let pairs = edges
        .iter()
        .map(|edge| Ok((ids(edge.from)?, ids(edge.to)?)))
        .collect::<Result<Vec<_>, String>>()?;
    let config = Config {
        vertex_spacing: BOX_GAP,
        ..Config::default()
    };
    // The crate asserts on states it thinks impossible; a drawing is not worth a crashed
    // request, so such a graph gets an error instead.
    let parts = std::panic::catch_unwind(|| {
        rust_sugiyama::from_vertices_and_edges(&vertices, &pairs, &config)
    })
    .map_err(|_| "the graph could not be laid out".to_owned())?;
    let mut parts: Vec<Vec<(usize, (f64, f64))>> = parts.into_iter().map(|(at, _, _)| at).collect();
    parts.sort_by_key(|part| !part.iter().any(|(n, _)| nodes[*n].focus));
    let mut left = MARGIN;
    let mut height: f64 = 0.0;
    for part in parts {
        // The crate gives centres relative to its own layout; shift each part so that its
        // leftmost box starts at `left` and its top layer's boxes at the top margin.
        let min_x = part
            .iter()
            .map(|(n, (x, _))| x - nodes[*n].width / 2.0)
            .fold(f64::INFINITY, f64::min);
        let min_y = part
            .iter()
            .map(|(_, (_, y))| *y)
            .fold(f64::INFINITY, f64::min);
        let mut right = left;
        for (n, (x, y)) in part {
            let node = &mut nodes[n];
            node.x = left + (x - min_x);
            node.y = MARGIN + BOX_HEIGHT / 2.0 + (y - min_y);
            right = right.max(node.x + node.width / 2.0);
            height = height.max(node.y + BOX_HEIGHT / 2.0);
        }
        left = right + BOX_GAP * 2.0;
    }
    Ok(Picture {
        nodes,
        edges,
        width: left - BOX_GAP * 2.0 + MARGIN,
        height: height + MARGIN,
        folded: 0,
        omitted: 0,
    })
}

#[cfg(all(test, feature = "store"))]
mod tests;
