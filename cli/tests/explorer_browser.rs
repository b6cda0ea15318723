//! The Explorer in a real browser: `raftspec check` finds Figure 8 and prints the link and the
//! command; that command serves the Explorer; the link opens the counterexample's last state
//! (checked through the Explorer's JSON API against the model); headless Chromium shows the
//! sequence diagram and the action labels; a screenshot is kept for people.

mod support;

use raftspec_model::bugs::Bug;
use raftspec_model::raft::RaftModel;
use raftspec_model::trace::Trace;
use raftspec_model::Spec;
use serde_json::Value;
use stateright::Model;
use support::*;

/// The `explore:` line of a human check report: (command words after `raftspec`, path).
fn explore_line(report: &str) -> (Vec<String>, String) {
    let line = report
        .lines()
        .find_map(|l| l.trim().strip_prefix("explore:"))
        .unwrap_or_else(|| panic!("check printed no `explore:` line:\n{report}"));
    let (cmd, link) = line
        .split_once("then open ")
        .unwrap_or_else(|| panic!("no `then open URL` in {line:?}"));
    let words: Vec<String> = cmd.split_whitespace().map(str::to_string).collect();
    assert_eq!(words[0], "raftspec", "{line}");
    let path = link
        .trim()
        .strip_prefix("http://127.0.0.1:3000/#/steps/")
        .unwrap_or_else(|| panic!("unexpected link in {line:?}"))
        .to_string();
    (words[1..].to_vec(), path)
}

/// The model state a path of action indices leads to, replayed on our own copy of the model.
fn state_at(spec: &RaftModel, path: &str) -> <RaftModel as Model>::State {
    let mut idx = path.split('/').map(|i| i.parse::<usize>().expect("index"));
    let mut state = spec.init_states()[idx.next().expect("init index")].clone();
    for i in idx {
        let mut actions = Vec::new();
        spec.actions(&state, &mut actions);
        state = spec
            .next_state(&state, actions[i].clone())
            .expect("enabled");
    }
    state
}

#[test]
fn figure8_counterexample_opens_in_the_explorer_as_a_diagram() {
    // 1. The checker finds Figure 8 and prints path, trace file, command and link.
    let dir = tempdir("browser-figure8");
    let out = raftspec(&[
        "check",
        "raft",
        "--bug",
        "figure8",
        "--trace-out",
        dir.to_str().unwrap(),
    ]);
    let report = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{report}{}", text(&out.stderr));
    let (cmd, path) = explore_line(&report);
    assert_eq!(cmd[0], "explore");
    let json = raftspec(&[
        "check",
        "raft",
        "--bug",
        "figure8",
        "--json",
        "--trace-out",
        dir.to_str().unwrap(),
    ]);
    let r = report_of(&json);
    let json_path = r["properties"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["verdict"] == "violated")
        .and_then(|p| p["path"].as_str())
        .expect("a violated property with a path")
        .to_string();
    assert_eq!(json_path, path, "human and JSON reports give one path");
    let itf = std::fs::read_to_string(dir.join("raft-figure8-LeaderCompleteness.itf.json"))
        .expect("check wrote the ITF trace");
    let trace = Trace::from_itf(&itf).expect("the ITF trace reads back");
    assert_eq!(trace.path.as_deref(), Some(path.as_str()));
    let labels: Vec<String> = trace
        .steps
        .iter()
        .filter_map(|s| s.action.as_ref().map(|a| a.label.clone()))
        .collect();

    // 2. The printed command, exactly as printed (plus a free loopback port), serves it.
    let mut args = cmd.clone();
    args.extend(["--addr".to_string(), "127.0.0.1:0".to_string()]);
    let ex = Explorer::start(&args);
    assert!(ex.url.starts_with("http://127.0.0.1:"), "{}", ex.url);

    // 3. The path opens the counterexample's last state: the Explorer's choices after the
    // path's prefix include the last action, leading to exactly the model's state.
    let (prefix, last) = path.rsplit_once('/').expect("a path with actions");
    let last: usize = last.parse().unwrap();
    let (code, body) = http_get(&ex.addr, &format!("/.states/{prefix}")).expect("GET /.states");
    assert_eq!(code, 200, "{body}");
    let choices: Value = serde_json::from_str(&body).expect("the Explorer answers JSON");
    let chosen = choices
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["actionIndex"] == last)
        .unwrap_or_else(|| panic!("no action {last} after {prefix}: {body}"));
    assert_eq!(chosen["action"].as_str(), labels.last().map(String::as_str));
    let spec = RaftModel::new(trace.bounds.clone(), Some(Bug::Figure8));
    let expected = state_at(&spec, &path);
    assert_eq!(
        chosen["state"].as_str().unwrap(),
        format!("{expected:#?}"),
        "the link's state is the counterexample's last state"
    );
    assert_eq!(
        spec.state_json(&expected),
        trace.steps.last().unwrap().state,
        "and it is the trace's last state"
    );
    let svg = chosen["svg"].as_str().expect("as_svg draws the path");
    assert!(
        svg.contains(&format!(r#"data-path="{path}""#)),
        "the SVG draws this path"
    );
    assert!(svg.contains("LeaderCompleteness violated"));
    let outcome = chosen["outcome"]
        .as_str()
        .expect("format_step says what changed");
    // The last step of Figure 8's counterexample elects the leader that lacks the entry.
    assert!(outcome.contains(".role: Candidate → Leader"), "{outcome}");
    let (code, _) = http_get(&ex.addr, &format!("/.states/{path}")).unwrap();
    assert_eq!(code, 200, "the last state itself is served");
    let (code, _) = http_get(&ex.addr, &format!("/.states/{path}/9999")).unwrap();
    assert_eq!(code, 404, "a path the model does not have is refused");

    // 4. In Chromium, the link shows the diagram (one lifeline per server) and the labels.
    let chrome = chromium();
    let link = format!("{}#/steps/{path}", ex.url);
    let mut dom = String::new();
    for _ in 0..3 {
        dom = chromium_run(&chrome, &link, &["--dump-dom"]);
        if dom.contains("raftspec-msc") && dom.contains("is-selected-state") {
            break;
        }
    }
    assert!(
        dom.contains("<svg") && dom.contains("raftspec-msc"),
        "the page shows the sequence diagram:\n{}",
        &dom[..dom.len().min(3000)]
    );
    assert!(
        dom.contains(&format!(r#"data-path="{path}""#)),
        "for this path"
    );
    let servers = trace.bounds.servers as usize;
    assert_eq!(
        dom.matches(r#"class="lifeline-head""#).count(),
        servers,
        "one lifeline head per server"
    );
    assert!(
        dom.matches(r#"class="lifeline""#).count() >= servers,
        "lifelines drawn"
    );
    assert!(dom.contains(r#"class="msg delivered""#), "messages drawn");
    // Readable labels (which servers act depends on the counterexample the engine picks).
    let readable: [&dyn Fn(&str) -> bool; 3] = [
        &|l| l.ends_with(" election timeout: starts an election"),
        &|l| l.starts_with("client asks leader S") && l.ends_with(" to append v1"),
        &|l| l.contains(" handles RequestVoteResponse S") && l.ends_with("{term 4, granted}"),
    ];
    for (i, is_readable) in readable.iter().enumerate() {
        assert!(
            labels.iter().any(|l| is_readable(l)),
            "readable label {i}: {labels:?}"
        );
    }
    for label in &labels {
        assert!(
            dom.contains(label.as_str()),
            "the page lists the action {label:?}"
        );
    }
    // The step the link selects: the path list's link that knockout marked selected.
    let selected = dom
        .split(r#"class="font-code is-selected-state""#)
        .nth(1)
        .and_then(|rest| rest.split_once("</a>"))
        .and_then(|(a, _)| a.rsplit_once('>'))
        .map(|(_, t)| t.trim().to_string())
        .expect("a selected step");
    assert_eq!(
        Some(&selected),
        labels.last(),
        "the link selects the last step"
    );

    // 5. A screenshot for people.
    let shot = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("explorer-figure8.png");
    let _ = std::fs::remove_file(&shot);
    chromium_run(
        &chrome,
        &link,
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1400,1000",
        ],
    );
    let png = std::fs::read(&shot).expect("Chromium wrote the screenshot");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 20_000,
        "a real picture"
    );
    println!("screenshot: {}", shot.display());
    eprintln!("screenshot: {}", shot.display());
}
