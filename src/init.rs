//! `gitsm init`: the files of a new ITSM repo that validates clean at once.

use crate::model::Kind;
use crate::schema;

/// Where the CI workflow installs gitsm from. One place to change it.
pub const INSTALL_CMD: &str =
    "cargo install --locked --git https://github.com/gitsm/gitsm --tag v0.1.0 gitsm";

fn header(kind: Kind, depth: usize) -> String {
    format!(
        "# yaml-language-server: $schema={}schemas/{}\n",
        "../".repeat(depth),
        kind.schema_file()
    )
}

/// Every file `init` writes, as (relative path, contents).
pub fn scaffold(name: &str) -> Vec<(String, String)> {
    let id = if crate::model::Id::is_valid(name) {
        name.to_lowercase()
    } else {
        "itsm".to_string()
    };
    let mut files = vec![
        (
            "gitsm.yaml".to_string(),
            format!(
                "{}# gitsm settings. This file marks the root of the ITSM repo.\napiVersion: gitsm/v1\nkind: Config\nid: {id}\ntimezone: UTC\nid_digits: 4\nstatus_page:\n  title: Service Status\n  base_url: https://status.example.com\noutput:\n  reports: reports\n  status_page: site\n",
                header(Kind::Config, 0)
            ),
        ),
        (
            "catalog/web.yaml".to_string(),
            format!(
                "{}apiVersion: gitsm/v1\nkind: Service\nid: web\nname: Website\nowner: your-github-login\ntier: 1\nsla: standard\n# Code in this repo that belongs to the service; the gate asks for a change\n# when a pull request touches it.\npaths:\n  - deploy/web/**\npublic: true\ndescription: The public website.\n",
                header(Kind::Service, 1)
            ),
        ),
        (
            "slas/business-hours.yaml".to_string(),
            format!(
                "{}apiVersion: gitsm/v1\nkind: Calendar\nid: business-hours\ntimezone: UTC\nhours:\n  mon-fri: \"09:00-17:00\"\nholidays:\n  - date: 2026-12-25\n    name: Christmas Day\n",
                header(Kind::Calendar, 1)
            ),
        ),
        (
            "slas/standard.yaml".to_string(),
            format!(
                "{}apiVersion: gitsm/v1\nkind: SLA\nid: standard\nname: Standard\ncalendar: 24x7\ntargets:\n  P1: {{response: 15m, resolution: 4h}}\n  P2: {{response: 1h, resolution: 8h}}\n  P3: {{response: 4h, resolution: 3d}}\n  P4: {{response: 1d, resolution: 2w}}\nrequest_fulfillment: 3d\navailability: 99.9\npause_on: [on_hold]\nwarn_at: 0.8\n",
                header(Kind::Sla, 1)
            ),
        ),
        (
            "policies/default.yaml".to_string(),
            format!(
                "{}# The change policy. The gate reads it from the base branch, so a pull\n# request cannot loosen the rules it is judged by.\napiVersion: gitsm/v1\nkind: ChangePolicy\nid: default\ncab: [your-github-login]\necab: [your-github-login]\nrules:\n  - match: {{type: standard}}\n    approvals: 0\n  - match: {{type: normal, risk: high}}\n    approvals: 2\n    from: cab\n    service_owner: true\n  - match: {{type: normal}}\n    approvals: 1\n    from: cab\n  - match: {{type: emergency}}\n    approvals: 1\n    from: ecab\n    review_within: 5d\nlead_time: {{normal: 2d}}\nfreeze: []\nconflicts: deny\npolicy_change: {{approvals: 2, from: cab}}\nungoverned_paths: deny\n",
                header(Kind::ChangePolicy, 1)
            ),
        ),
        (
            ".github/workflows/gitsm-validate.yml".to_string(),
            format!(
                r#"# Validates every record on each pull request; findings show on the diff.
name: gitsm validate
on:
  pull_request:
  push:
    branches: [main]
permissions:
  contents: read
jobs:
  validate:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: Install gitsm
        run: {INSTALL_CMD}
      - name: Validate records
        run: gitsm validate --format github
"#
            ),
        ),
        (".github/workflows/gitsm-gate.yml".to_string(), gate_workflow()),
        (
            ".github/workflows/gitsm-status-page.yml".to_string(),
            status_page_workflow(),
        ),
    ];
    for folder in ["incidents", "problems", "requests", "changes"] {
        files.push((format!("{folder}/.gitkeep"), String::new()));
    }
    for kind in Kind::ALL {
        let body = serde_json::to_string_pretty(&schema::schema_for(kind)).expect("schema serializes") + "\n";
        files.push((format!("schemas/{}", kind.schema_file()), body));
    }
    files
}

/// The change gate's workflow (see docs/gate.md). It must not be replaceable
/// by the pull request it judges:
///
/// * `pull_request_target` runs this file as it is on the base branch, with
///   the base checked out; the PR head is fetched as git objects only and
///   never checked out, built or run;
/// * gitsm is installed from a pinned release, never built from the PR;
/// * PR data reaches the shell only through environment variables, never
///   through `${{ }}` interpolation inside `run:`;
/// * `permissions:` grants only what the gate writes.
pub fn gate_workflow() -> String {
    format!(
        r#"# The change gate: CAB approval, freezes, lead times, conflicts (docs/gate.md).
#
# SECURITY: this runs on `pull_request_target`, i.e. the copy of this file on
# the BASE branch, with a token that can write checks and comments. Never
# check out, build or run the pull request's files here. The PR head is
# fetched as git objects only; gitsm reads it with git, not from disk.
name: gitsm gate
on:
  pull_request_target:
    types: [opened, synchronize, reopened, edited, ready_for_review]
  pull_request_review:
    types: [submitted, edited, dismissed]
permissions:
  contents: read        # read the base checkout and fetch the PR head
  pull-requests: write  # upsert the one gate comment
  checks: write         # the `gitsm gate: <base>` check run
  statuses: write       # fallback when check runs cannot be created
concurrency:
  group: gitsm-gate-${{{{ github.event.pull_request.number }}}}
  cancel-in-progress: true
jobs:
  gate:
    runs-on: ubuntu-latest
    timeout-minutes: 30
    steps:
      - name: Check out the base revision (trusted)
        uses: actions/checkout@v4
        with:
          ref: ${{{{ github.event.pull_request.base.sha }}}}
          fetch-depth: 0
      - name: Fetch the PR head as objects only
        env:
          PR_NUMBER: ${{{{ github.event.pull_request.number }}}}
          HEAD_SHA: ${{{{ github.event.pull_request.head.sha }}}}
        run: |
          git fetch --no-tags origin "+refs/pull/${{PR_NUMBER}}/head:refs/remotes/pr/head"
          git cat-file -e "${{HEAD_SHA}}^{{commit}}"
      - name: Install gitsm (pinned release, not built from the PR)
        run: {INSTALL_CMD}
      - name: Gate
        env:
          GITHUB_TOKEN: ${{{{ secrets.GITHUB_TOKEN }}}}
          REPO: ${{{{ github.repository }}}}
          PR_NUMBER: ${{{{ github.event.pull_request.number }}}}
          PR_AUTHOR: ${{{{ github.event.pull_request.user.login }}}}
          BASE_SHA: ${{{{ github.event.pull_request.base.sha }}}}
          HEAD_SHA: ${{{{ github.event.pull_request.head.sha }}}}
          GITSM_GITHUB_API_URL: ${{{{ github.api_url }}}}
        run: |
          gitsm gate --base "$BASE_SHA" --head "$HEAD_SHA" --author "$PR_AUTHOR" \
            --github "$REPO" --pr "$PR_NUMBER"
"#
    )
}

/// The GitHub Pages workflow: publishes the status page on every push to main
/// and once a day, so the uptime bars roll forward on quiet days too.
pub fn status_page_workflow() -> String {
    format!(
        r#"# Publishes the public status page to GitHub Pages.
# Runs on every push to main and once a day, so the 90-day uptime bars roll
# forward even when nothing changes. Enable Pages with "Source: GitHub Actions"
# in the repository settings.
name: gitsm status page
on:
  push:
    branches: [main]
  schedule:
    - cron: "7 0 * * *"
  workflow_dispatch:
permissions:
  contents: read
concurrency:
  group: gitsm-status-page
  cancel-in-progress: false
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: Install gitsm
        run: {INSTALL_CMD}
      - name: Build the status page
        run: gitsm status-page --out site
      - uses: actions/upload-pages-artifact@v3
        with:
          path: site
  deploy:
    needs: build
    runs-on: ubuntu-latest
    permissions:
      pages: write
      id-token: write
    environment:
      name: github-pages
      url: ${{{{ steps.deployment.outputs.page_url }}}}
    steps:
      - name: Deploy to GitHub Pages
        id: deployment
        uses: actions/deploy-pages@v4
"#
    )
}
