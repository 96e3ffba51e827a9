// crn web app: the relationship graph explorer (pages/graph.html). It draws
// the ego network the page already lists in its table, fetched as JSON from
// the page's data-src (/graph/data, with the session), with Cytoscape.js
// (web/static/vendor, loaded before this module). The table stays the
// page's content; this only adds the picture. Loaded on that page only.

// The circles' colours, index = circle (0: the circles past the eighth);
// the same as the swatches in css/graph.css.
const PALETTE = ["#9e9e9e", "#e69f00", "#56b4e9", "#009e73", "#f0e442", "#0072b2", "#d55e00", "#cc79a7", "#8c564b"];
const MIN_SIZE = 14;
const MAX_SIZE = 56;

const box = document.getElementById("graph-canvas");

function fail() {
  box.dataset.state = "failed";
  box.removeAttribute("role");
  box.textContent = box.dataset.failed || "";
}

// sizeOf scales a person by their PageRank, by area: the most influential
// person on the page gets MAX_SIZE, someone without a score MIN_SIZE.
function sizeOf(n, maxScore) {
  if (!n.score || !maxScore) return MIN_SIZE;
  return MIN_SIZE + (MAX_SIZE - MIN_SIZE) * Math.sqrt(n.score / maxScore);
}

async function draw() {
  if (!box || !box.dataset.src) return;
  if (typeof window.cytoscape !== "function") {
    fail();
    return;
  }
  let data;
  try {
    const res = await fetch(box.dataset.src, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!res.ok) throw new Error("status " + res.status);
    data = await res.json();
  } catch {
    fail();
    return;
  }
  const maxScore = Math.max(0, ...data.nodes.map((n) => n.score || 0));
  const elements = [];
  for (const n of data.nodes) {
    elements.push({
      group: "nodes",
      data: {
        id: String(n.id),
        label: n.label,
        href: n.href,
        colour: PALETTE[n.colour] || PALETTE[0],
        size: sizeOf(n, maxScore),
        ego: n.id === data.ego,
      },
    });
  }
  for (const e of data.edges) {
    elements.push({
      group: "edges",
      data: { id: e.source + "-" + e.target, source: String(e.source), target: String(e.target), width: 1 + Math.min(5, Math.log2(1 + e.weight)) },
    });
  }
  const cy = window.cytoscape({
    container: box,
    elements,
    minZoom: 0.2,
    maxZoom: 3,
    style: [
      {
        selector: "node",
        style: {
          "background-color": "data(colour)",
          width: "data(size)",
          height: "data(size)",
          label: "data(label)",
          "font-size": 11,
          color: "#1d1d1f",
          "text-valign": "bottom",
          "text-margin-y": 3,
          "border-width": 1,
          "border-color": "#ffffff",
        },
      },
      { selector: "node[?ego]", style: { "border-width": 3, "border-color": "#1d1d1f", "font-weight": "bold" } },
      { selector: "edge", style: { width: "data(width)", "line-color": "#b8b8b0", "curve-style": "haystack", opacity: 0.8 } },
    ],
    // cose pulls tied people together, so a circle sits in one place.
    layout: { name: "cose", animate: false, nodeDimensionsIncludeLabels: true, padding: 20 },
  });
  cy.on("tap", "node", (e) => {
    const href = e.target.data("href");
    if (href) location.href = href;
  });
  cy.on("mouseover", "node", () => box.classList.add("pointer"));
  cy.on("mouseout", "node", () => box.classList.remove("pointer"));
  box.dataset.state = "drawn";
  box.dataset.nodes = String(cy.nodes().length);
  box.dataset.edges = String(cy.edges().length);
}

draw();
