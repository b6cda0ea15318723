//! Tarjan's strongly connected components (iterative), over the part of the graph a property
//! looks at: the states `inside` accepts and the edges `edge_ok` accepts.

use super::graph::{Graph, NONE};

/// Components of the accepted subgraph: `comp[u]` (NONE outside) and how many there are.
pub(crate) struct Components {
    pub comp: Vec<u32>,
    pub count: u32,
}

struct Walk {
    index: Vec<u32>,
    low: Vec<u32>,
    on_stack: Vec<bool>,
    stack: Vec<u32>,
    /// The DFS call stack: a state and the next of its edges to look at.
    call: Vec<(u32, usize)>,
    counter: u32,
}

impl Walk {
    fn visit(&mut self, u: u32, first_edge: usize) {
        self.index[u as usize] = self.counter;
        self.low[u as usize] = self.counter;
        self.counter += 1;
        self.stack.push(u);
        self.on_stack[u as usize] = true;
        self.call.push((u, first_edge));
    }
}

pub(crate) fn tarjan<S>(
    g: &Graph<S>,
    roots: &[u32],
    inside: impl Fn(u32) -> bool,
    edge_ok: impl Fn(usize) -> bool,
) -> Components {
    let n = g.len();
    let mut w = Walk {
        index: vec![NONE; n],
        low: vec![NONE; n],
        on_stack: vec![false; n],
        stack: Vec::new(),
        call: Vec::new(),
        counter: 0,
    };
    let mut comp = vec![NONE; n];
    let mut count = 0u32;
    for &root in roots {
        if w.index[root as usize] != NONE {
            continue;
        }
        w.visit(root, g.edge_start[root as usize]);
        while let Some(&(u, e)) = w.call.last() {
            let u_ = u as usize;
            if e < g.edge_start[u_ + 1] {
                w.call.last_mut().expect("nonempty").1 += 1;
                let v = g.targets[e];
                if !edge_ok(e) || !inside(v) {
                    continue;
                }
                if w.index[v as usize] == NONE {
                    w.visit(v, g.edge_start[v as usize]);
                } else if w.on_stack[v as usize] {
                    w.low[u_] = w.low[u_].min(w.index[v as usize]);
                }
                continue;
            }
            w.call.pop();
            if let Some(&(p, _)) = w.call.last() {
                w.low[p as usize] = w.low[p as usize].min(w.low[u_]);
            }
            if w.low[u_] == w.index[u_] {
                loop {
                    let x = w.stack.pop().expect("u is on the stack");
                    w.on_stack[x as usize] = false;
                    comp[x as usize] = count;
                    if x == u {
                        break;
                    }
                }
                count += 1;
            }
        }
    }
    Components { comp, count }
}
