"""The contact map's SVG: well-formed, every node and edge of the map drawn with its volume,
names escaped, the quiet nodes of a crowded column folded into one, transfers back dashed."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from kefu.analytics.contactmap import ContactMap, MapEdge
from kefu.analytics.contactmap_svg import contact_map_svg

NS = "{http://www.w3.org/2000/svg}"


def _map(agents: int) -> ContactMap:
    edges = [MapEdge("channel:voice", "queue:<q&1>", 10 * agents)]
    edges += [MapEdge("queue:<q&1>", f"agent:a{n}", 10) for n in range(agents)]
    edges += [MapEdge(f"agent:a{n}", "outcome:resolved", 9) for n in range(agents)]
    edges.append(MapEdge("agent:a0", "queue:<q&1>", 1))
    nodes = {"channel:voice": 10 * agents, "queue:<q&1>": 10 * agents, "outcome:resolved": 9}
    nodes.update({f"agent:a{n}": 10 + n for n in range(agents)})
    return ContactMap(0.0, 1.0, 10 * agents, tuple(nodes.items()), tuple(edges), (), (), (), ())


def test_given_a_small_map_then_every_node_and_edge_is_drawn_and_names_are_escaped() -> None:
    root = ET.fromstring(contact_map_svg(_map(3), titles={"queue": "队列"}))
    nodes = {g.get("data-node"): g.get("data-volume") for g in root.iter(f"{NS}g")}
    assert nodes["queue:<q&1>"] == "30" and nodes["agent:a2"] == "12" and len(nodes) == 6
    paths = root.findall(f"{NS}path")
    assert len(paths) == 1 + 3 + 3 + 1
    back = [p for p in paths if p.get("data-target") == "queue:<q&1>" and p.get("stroke-dasharray")]
    assert [p.get("data-source") for p in back] == ["agent:a0"]
    assert any(t.text == "队列" for t in root.iter(f"{NS}text"))


def test_given_a_crowded_column_then_the_quiet_nodes_fold_into_one() -> None:
    root = ET.fromstring(contact_map_svg(_map(30), per_column=5))
    agents = [g for g in root.iter(f"{NS}g") if (g.get("data-node") or "").startswith("agent:")]
    assert len(agents) == 6
    folded = agents[-1]
    assert folded.get("data-node") == "agent:…" and folded.get("data-volume") == str(
        sum(10 + n for n in range(25))
    )
    folded_edges = {
        p.get("data-target"): p.get("data-volume")
        for p in root.findall(f"{NS}path")
        if p.get("data-source") == "agent:…"
    }
    assert folded_edges == {"outcome:resolved": str(25 * 9), "queue:<q&1>": "1"}  # a0 folded
