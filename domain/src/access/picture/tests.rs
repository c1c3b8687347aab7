//! The picture of an access graph: which boxes are drawn, where, folded how, and the SVG.

#![allow(clippy::unwrap_used, clippy::panic)]

use super::*;
use crate::access::graph::Hop;
use crate::grant::{Principal, Resource};

fn principal(id: &str, kind: &str) -> Principal {
    Principal {
        kind: kind.to_owned(),
        id: id.to_owned(),
        name: id.to_owned(),
    }
}

fn resource(id: &str, kind: &str) -> Resource {
    Resource {
        kind: kind.to_owned(),
        id: id.to_owned(),
        name: id.to_owned(),
    }
}

/// A path of hops `(holder, holder kind, held, held kind, permission, via)`.
fn path(hops: &[(&str, &str, &str, &str, &str, &str)]) -> AccessPath {
    AccessPath {
        hops: hops
            .iter()
            .map(|(from, from_kind, to, to_kind, permission, via)| Hop {
                principal: principal(from, from_kind),
                resource: resource(to, to_kind),
                permission: permission.to_string(),
                via: via.to_string(),
                since: None,
            })
            .collect(),
    }
}

fn node<'a>(picture: &'a Picture, id: &str) -> &'a PictureNode {
    picture
        .nodes
        .iter()
        .find(|n| n.id == id)
        .unwrap_or_else(|| panic!("{id} is not drawn: {picture:?}"))
}

fn focus(id: &str, kind: &str) -> Vec<(String, String, String)> {
    vec![(id.to_owned(), id.to_owned(), kind.to_owned())]
}

/// Boxes of one layer do not overlap, and every box is inside the picture.
fn assert_drawable(picture: &Picture) {
    for a in &picture.nodes {
        assert!(
            a.x - a.width / 2.0 >= 0.0 && a.x + a.width / 2.0 <= picture.width,
            "{a:?}"
        );
        assert!(
            a.y - a.height / 2.0 >= 0.0 && a.y + a.height / 2.0 <= picture.height,
            "{a:?}"
        );
        for b in &picture.nodes {
            if a.id < b.id && (a.y - b.y).abs() < 1.0 {
                let apart = (a.x - b.x).abs() >= (a.width + b.width) / 2.0;
                assert!(apart, "{} and {} overlap", a.id, b.id);
            }
        }
    }
}

#[test]
fn holders_are_drawn_above_what_they_hold() {
    let mut graph = Neighbourhood::new(&focus("alice", "user"), false);
    graph.add_path(&path(&[
        ("alice", "user", "platform", "team", "member", ""),
        ("platform", "team", "acme/infra", "repository", "admin", ""),
    ]));
    graph.add_path(&path(&[(
        "alice",
        "user",
        "acme/web",
        "repository",
        "write",
        "",
    )]));
    graph.add_path(&path(&[(
        "alice",
        "user",
        "123456789012",
        "account",
        "admin",
        "policy:AdministratorAccess",
    )]));
    // The same hop again, as a second path would repeat it: one edge.
    graph.add_path(&path(&[(
        "alice",
        "user",
        "acme/web",
        "repository",
        "write",
        "",
    )]));
    let picture = graph.picture().unwrap();
    assert_eq!(picture.nodes.len(), 5);
    assert_eq!(picture.edges.len(), 4);
    assert!(node(&picture, "alice").focus);
    assert!(!node(&picture, "platform").focus);
    // Which question each box links to: alice holds only, the team is held by her.
    assert!(!node(&picture, "alice").held);
    assert!(node(&picture, "platform").held && node(&picture, "acme/web").held);
    let y = |id: &str| node(&picture, id).y;
    assert!(y("alice") < y("platform") && y("platform") < y("acme/infra"));
    assert!(y("alice") < y("acme/web"));
    let labels: Vec<&str> = picture.edges.iter().map(|e| e.label.as_str()).collect();
    assert!(
        labels.contains(&"admin via policy:AdministratorAccess"),
        "{labels:?}"
    );
    assert_eq!((picture.folded, picture.omitted), (0, 0));
    assert_drawable(&picture);
}

#[test]
fn a_crowded_team_is_folded_into_a_count() {
    let mut graph = Neighbourhood::new(&focus("acme/infra", "repository"), true);
    for n in 0..400 {
        let user = format!("user{n}");
        graph.add_path(&path(&[
            (&user, "user", "platform", "team", "member", ""),
            ("platform", "team", "acme/infra", "repository", "admin", ""),
        ]));
    }
    graph.add_path(&path(&[(
        "bob",
        "user",
        "acme/infra",
        "repository",
        "write",
        "",
    )]));
    graph.add_path(&path(&[(
        "carol",
        "user",
        "acme/infra",
        "repository",
        "read",
        "",
    )]));
    assert_eq!(graph.len(), 404);
    let picture = graph.picture().unwrap();
    // The members fold into the team, which is enough: bob and carol stay drawn.
    assert_eq!(picture.folded, 400);
    assert_eq!(picture.omitted, 0);
    assert_eq!(node(&picture, "platform").holders_folded, 400);
    assert_eq!(
        node(&picture, "platform").folded_note().as_deref(),
        Some("+400 holders")
    );
    assert_eq!(node(&picture, "acme/infra").holders_folded, 0);
    assert_eq!(node(&picture, "bob").y, node(&picture, "platform").y);
    assert_eq!(picture.nodes.len(), 4);
    assert_eq!(picture.edges.len(), 3);
    assert_drawable(&picture);
}

#[test]
fn small_graphs_are_not_folded_and_long_ones_are_cut() {
    let mut small = Neighbourhood::new(&focus("acme/infra", "repository"), true);
    for n in 0..20 {
        let user = format!("user{n}");
        small.add_path(&path(&[(
            &user,
            "user",
            "acme/infra",
            "repository",
            "read",
            "",
        )]));
    }
    let picture = small.picture().unwrap();
    assert_eq!((picture.nodes.len(), picture.folded), (21, 0));
    assert_drawable(&picture);

    // A chain of 350 roles, each assuming the next: no leaves to fold, so the far end is cut.
    let mut chain = Neighbourhood::new(&focus("role0", "role"), false);
    for n in 0..349 {
        let (from, to) = (format!("role{n}"), format!("role{}", n + 1));
        chain.add_path(&path(&[(&from, "role", &to, "role", "sts:AssumeRole", "")]));
    }
    assert_eq!(chain.len(), 350);
    let picture = chain.picture().unwrap();
    assert_eq!((picture.nodes.len(), picture.omitted), (MAX_NODES, 50));
    assert_eq!(picture.edges.len(), MAX_NODES - 1);
    assert!(picture.nodes.iter().all(|n| n.id != "role300"));

    // Cut by distance from the focus, not by the order paths came in: a far chain met first
    // goes before the near fan met last.
    let mut graph = Neighbourhood::new(&focus("hub", "role"), false);
    for n in 0..320 {
        let (from, to) = (format!("far{n}"), format!("far{}", n + 1));
        let hop = if n == 0 { "hub".to_owned() } else { from };
        graph.add_path(&path(&[(&hop, "role", &to, "role", "sts:AssumeRole", "")]));
    }
    graph.add_path(&path(&[(
        "hub",
        "role",
        "near",
        "role",
        "sts:AssumeRole",
        "",
    )]));
    let picture = graph.picture().unwrap();
    assert_eq!(picture.omitted, 22);
    assert!(picture.nodes.iter().any(|n| n.id == "near"));
    assert!(picture.nodes.iter().all(|n| n.id != "far299"));
}

#[test]
fn self_grants_crowds_and_long_names() {
    let mut graph = Neighbourhood::new(&focus("deployer", "role"), false);
    graph.add_path(&path(&[(
        "deployer",
        "role",
        "deployer",
        "role",
        "sts:AssumeRole",
        "",
    )]));
    let long = "a-very-long-repository-name-that-goes-on-and-on";
    graph.add_path(&path(&[(
        "deployer",
        "role",
        long,
        "repository",
        "write",
        "",
    )]));
    graph.add_unlisted_holders("deployer", 250);
    let picture = graph.picture().unwrap();
    assert_eq!(picture.edges.len(), 1, "{:?}", picture.edges);
    let label = node(&picture, long).label();
    assert_eq!(label.chars().count(), LABEL_CHARS);
    assert!(label.ends_with('…'));
    assert_eq!(node(&picture, "deployer").holders_folded, 250);
    assert!(Neighbourhood::new(&[], false)
        .picture()
        .unwrap()
        .nodes
        .is_empty());
}

#[test]
fn the_svg_escapes_every_name_and_links_each_box() {
    let evil = "<script>alert('x')</script> & \"friends\"";
    let mut graph = Neighbourhood::new(
        &[(evil.to_owned(), evil.to_owned(), "user".to_owned())],
        false,
    );
    graph.add_path(&path(&[(
        evil,
        "user",
        "acme/infra",
        "repository",
        "admin",
        "team:<b>",
    )]));
    let picture = graph.picture().unwrap();
    let svg = picture.to_svg(|node| NodeLinks {
        focus: format!("/access/graph?what={}&x=\"", node.id),
        ..NodeLinks::default()
    });
    assert!(!svg.contains("<script>"), "{svg}");
    assert!(!svg.contains("<b>"), "{svg}");
    assert!(
        svg.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;friends&quot;")
    );
    assert!(svg.contains("admin via team:&lt;b&gt;"));
    assert!(svg.contains("href=\"/access/graph?what=acme/infra&amp;x=&quot;\""));
    assert_eq!(svg.matches("<a href=").count(), 2);
    assert_eq!(svg.matches("class=\"node focus\"").count(), 1);
    assert_eq!(svg.matches("<g class=\"edge\">").count(), 1);
    assert!(svg.starts_with("<svg ") && svg.ends_with("</svg>"));
    assert_eq!(escape("a\u{0}b"), "a\u{FFFD}b");
}

#[test]
fn controls_are_links_beside_their_box_with_escaped_titles() {
    let mut graph = Neighbourhood::new(&focus("alice", "user"), false);
    graph.add_path(&path(&[(
        "alice",
        "user",
        "acme/infra",
        "repository",
        "admin",
        "",
    )]));
    let picture = graph.picture().unwrap();
    let svg = picture.to_svg(|node| NodeLinks {
        focus: format!("/focus/{}", node.id),
        open: (!node.focus).then(|| ("/open?a=1&b=2".to_owned(), "Expand <it>".to_owned())),
        close: Some(("/close".to_owned(), format!("Fold {}", node.name))),
    });
    // One "+" (not on the focus) and two "−".
    assert_eq!(svg.matches("class=\"control open\"").count(), 1, "{svg}");
    assert_eq!(svg.matches("class=\"control close\"").count(), 2, "{svg}");
    assert!(svg.contains("href=\"/open?a=1&amp;b=2\""));
    assert!(svg.contains("<title>Expand &lt;it&gt;</title>"));
    assert!(!svg.contains("<it>"));
    // Each control sits on its box's right edge, inside the picture.
    let infra = node(&picture, "acme/infra");
    let right = infra.x + infra.width / 2.0;
    assert!(svg.contains(&format!("cx=\"{right:.1}\"")), "{svg}");
    assert!(right + CONTROL_RADIUS <= picture.width);
}

/// A team with three members (one also in another team) and two repositories; alice asked.
fn team_graph() -> Neighbourhood {
    let mut graph = Neighbourhood::new(&focus("alice", "user"), false);
    for member in ["alice", "bob", "carol", "dan"] {
        graph.add_path(&path(&[(member, "user", "platform", "team", "member", "")]));
    }
    graph.add_path(&path(&[("dan", "user", "oncall", "team", "member", "")]));
    for repo in ["acme/infra", "acme/web"] {
        graph.add_path(&path(&[(
            "platform",
            "team",
            repo,
            "repository",
            "write",
            "",
        )]));
    }
    graph
}

#[test]
fn folding_by_hand_hides_the_boxes_linked_only_to_that_node() {
    let mut graph = team_graph();
    // bob and carol (not alice, the focus; not dan, who is in oncall too), and both
    // repositories.
    assert_eq!(graph.fold_around("platform"), 4);
    let picture = graph.picture().unwrap();
    let mut ids: Vec<&str> = picture.nodes.iter().map(|n| n.id.as_str()).collect();
    ids.sort_unstable();
    assert_eq!(ids, ["alice", "dan", "oncall", "platform"]);
    let platform = node(&picture, "platform");
    assert_eq!((platform.holders_folded, platform.held_folded), (2, 2));
    assert!(platform.folded_by_hand);
    assert_eq!(
        platform.folded_note().as_deref(),
        Some("+2 holders · +2 held")
    );
    // Nothing left to fold around it; unknown ids fold nothing.
    let mut again = team_graph();
    again.fold_around("platform");
    assert_eq!(again.fold_around("platform"), 0);
    assert_eq!(again.fold_around("nobody"), 0);
}

#[test]
fn each_box_knows_how_many_boxes_folding_it_would_hide() {
    let mut graph = team_graph();
    graph.mark_expanded("oncall");
    graph.mark_expanded("nobody");
    let picture = graph.picture().unwrap();
    let leaves = |id: &str| node(&picture, id).leaves;
    // bob, carol and the two repositories hang on platform alone; alice is the focus.
    assert_eq!(leaves("platform"), 4);
    assert_eq!(leaves("oncall"), 0);
    assert_eq!(leaves("bob"), 0);
    assert!(node(&picture, "oncall").expanded);
    assert!(!node(&picture, "platform").expanded);
}

#[test]
fn folding_everything_into_the_focus_leaves_one_box_to_draw() {
    let mut graph = Neighbourhood::new(&focus("alice", "user"), false);
    for repo in ["acme/infra", "acme/web", "acme/docs"] {
        graph.add_path(&path(&[("alice", "user", repo, "repository", "write", "")]));
    }
    assert_eq!(graph.fold_around("alice"), 3);
    let picture = graph.picture().unwrap();
    assert_eq!(picture.nodes.len(), 1);
    assert!(picture.edges.is_empty());
    let alice = node(&picture, "alice");
    assert_eq!(alice.held_folded, 3);
    assert!(alice.width > 0.0 && picture.width >= alice.width);
    assert_drawable(&picture);
}
