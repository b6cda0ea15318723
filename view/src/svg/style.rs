//! The one style sheet of every diagram: elements carry classes and `data-` attributes (role,
//! message family, term shade), never colours.

/// Fills of log cells by term (`data-shade`, the term modulo 8).
const SHADES: [&str; 8] = [
    "#e5e7eb", "#bfdbfe", "#fde68a", "#bbf7d0", "#fecaca", "#ddd6fe", "#a5f3fc", "#fbcfe8",
];
/// Colours of message families (a request and its response share one; `data-fam`).
const FAMILIES: [&str; 6] = [
    "#7c3aed", "#2563eb", "#0891b2", "#be185d", "#4d7c0f", "#b45309",
];
/// Colour of each lifeline role (`data-role`).
const ROLES: [(&str, &str); 5] = [
    ("other", "#6b7280"),
    ("follower", "#475569"),
    ("candidate", "#d97706"),
    ("leader", "#15803d"),
    ("down", "#dc2626"),
];

/// Number of message colours; a family's index is taken modulo this.
pub const FAMILY_COUNT: usize = FAMILIES.len();
/// Number of cell shades; a term is taken modulo this.
pub const SHADE_COUNT: usize = SHADES.len();

const BASE: &str = "\
.raftspec-msc{font-family:DejaVu Sans,Helvetica,Arial,sans-serif;font-size:11px}\
.bg{fill:#ffffff}.title{font-size:14px;font-weight:bold;fill:#111827}\
.subtitle{font-size:10px;fill:#6b7280}.band{fill:#ffffff}.band.even{fill:#f8fafc}\
.band.violated{fill:#fee2e2}.stepno{fill:#6b7280;text-anchor:end}\
.head{fill:#1f2937}.lifeline-head{fill:#ffffff;font-weight:bold;text-anchor:middle}\
.lifeline{stroke:#9ca3af;stroke-width:1.5}\
.lifeline[data-role=candidate]{stroke-width:3}.lifeline[data-role=leader]{stroke-width:5}\
.lifeline[data-role=down]{stroke-dasharray:4 3}\
.msg line{stroke-width:1.4}.msg .label{font-size:9.5px;text-anchor:middle;stroke:#ffffff;\
stroke-width:3;paint-order:stroke}.msg[data-reply] line{stroke-dasharray:5 3}\
.msg.dropped line{stroke:#dc2626}.msg.dropped text{fill:#dc2626}\
.msg.discarded line{stroke:#9ca3af;stroke-dasharray:2 3}.msg.discarded text{fill:#9ca3af}\
.msg.discarded circle{fill:none;stroke:#9ca3af}.msg.in-flight line{stroke-dasharray:6 4}\
.mark{font-size:15px;font-weight:bold;text-anchor:middle}.note{font-size:9px;text-anchor:middle}\
.dup{font-size:10px;font-weight:bold;fill:#9333ea;text-anchor:middle}\
.event circle{fill:#ffffff;stroke:#111827;stroke-width:1.5}\
.crash{font-size:17px;font-weight:bold;fill:#dc2626;text-anchor:middle}\
.event-label{font-size:9.5px;font-style:italic;fill:#111827;stroke:#ffffff;stroke-width:3;\
paint-order:stroke;text-anchor:end}.event-label.fault{fill:#dc2626}\
.role-badge text{font-size:10px;font-weight:bold;fill:#ffffff}\
.cell,.log-cell{stroke:#9ca3af;stroke-width:0.7;fill:#f3f4f6}\
.cell[data-committed],.log-cell[data-committed]{stroke:#111827;stroke-width:1.5}\
.cell-term{font-size:8.5px;fill:#111827;text-anchor:middle}.mini-empty{font-size:9px;fill:#6b7280}\
.commit-mark{stroke:#dc2626;stroke-width:2.5}.action-label{font-size:11px;fill:#111827}\
.changes{font-size:9.5px;fill:#4b5563}.changes.violated{fill:#b91c1c}\
.panel-title{font-size:12px;font-weight:bold;fill:#111827}.sname{font-weight:bold;fill:#111827}\
.who{font-size:10.5px}.empty{font-size:10.5px;fill:#9ca3af}\
.big-term{font-size:10.5px;font-weight:bold;fill:#111827;text-anchor:middle}\
.cell-value{font-size:9px;fill:#374151;text-anchor:middle}.cell-index{font-size:8px;fill:#9ca3af}\
.commit-label{font-size:9.5px;fill:#dc2626}.acked{font-size:10.5px;fill:#111827}\
.legend{font-size:9.5px;fill:#6b7280}.lasso rect{fill:#d9480f}\
.lasso text{fill:#d9480f;font-size:10px}";

/// The `<style>` element.
pub fn sheet() -> String {
    let mut css = String::from(BASE);
    for (role, c) in ROLES {
        css.push_str(&format!(
            ".lifeline[data-role={role}]{{stroke:{c}}}.role-badge[data-role={role}] rect{{fill:{c}}}.who[data-role={role}]{{fill:{c}}}"
        ));
    }
    for (i, c) in FAMILIES.iter().enumerate() {
        css.push_str(&format!(
            ".msg[data-fam=\"{i}\"] line{{stroke:{c}}}.msg[data-fam=\"{i}\"] path,.msg[data-fam=\"{i}\"] text{{fill:{c}}}"
        ));
    }
    for (i, c) in SHADES.iter().enumerate() {
        css.push_str(&format!("[data-shade=\"{i}\"]{{fill:{c}}}"));
    }
    // Faults last, so that they win over the family colour.
    css.push_str(".msg.dropped line{stroke:#dc2626}.msg.dropped text{fill:#dc2626}.msg.discarded line{stroke:#9ca3af}.msg.discarded text{fill:#9ca3af}");
    format!("<style>{css}</style>")
}
