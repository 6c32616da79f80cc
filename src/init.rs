//! `gitsm init`: the files of a new ITSM repo that validates clean at once.

use crate::model::Kind;
use crate::schema;

/// The GitHub Action the generated workflows run gitsm with: `OWNER/REPO@REF`.
///
/// The default comes from this build: the crate's `repository` (Cargo.toml,
/// the one home of that fact) at the tag of this version, so `gitsm init`
/// from gitsm 0.1.0 writes `uses: gitsm/gitsm@v0.1.0`, which downloads and
/// verifies the gitsm 0.1.0 release binary (no compiling on the runner).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionRef {
    /// `OWNER/REPO` on GitHub.
    pub repo: String,
    /// A tag (`v0.1.0`) or a full commit sha.
    pub git_ref: String,
}

impl Default for ActionRef {
    fn default() -> Self {
        let repo = env!("CARGO_PKG_REPOSITORY")
            .trim_start_matches("https://github.com/")
            .trim_end_matches('/')
            .to_string();
        ActionRef {
            repo,
            git_ref: release_tag(),
        }
    }
}

/// The release tag of this build (`v0.1.0`).
pub fn release_tag() -> String {
    format!("v{}", env!("CARGO_PKG_VERSION"))
}

impl std::str::FromStr for ActionRef {
    type Err = String;

    /// `OWNER/REPO@REF`. Only characters GitHub allows in names and refs, so
    /// the value can be written into a workflow as it is.
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "`{s}` is not OWNER/REPO@REF (for example gitsm/gitsm@{})",
                release_tag()
            )
        };
        let (repo, git_ref) = s.split_once('@').ok_or_else(bad)?;
        let (owner, name) = repo.split_once('/').ok_or_else(bad)?;
        let name_ok = |p: &str| {
            !p.is_empty()
                && !p.starts_with('.')
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        };
        let ref_ok = !git_ref.is_empty()
            && !git_ref.starts_with(['-', '.', '/'])
            && !git_ref.contains("..")
            && git_ref
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_./".contains(&b));
        if !name_ok(owner) || !name_ok(name) || !ref_ok {
            return Err(bad());
        }
        Ok(ActionRef {
            repo: repo.to_string(),
            git_ref: git_ref.to_string(),
        })
    }
}

impl std::fmt::Display for ActionRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}@{}", self.repo, self.git_ref)
    }
}

impl ActionRef {
    /// Whether the ref names a release (`vX.Y.Z`): the Action then runs that
    /// release. At a sha or a branch it must be told which release to run.
    fn is_release_tag(&self) -> bool {
        let rest = self.git_ref.strip_prefix('v').unwrap_or("");
        let parts: Vec<&str> = rest.split('.').collect();
        parts.len() == 3
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    }

    /// A workflow step's `uses:` and `with:` lines for this Action, indented
    /// for a step under `steps:` (8 spaces), with the given inputs.
    fn step(&self, inputs: &[(&str, &str)]) -> String {
        let mut with: Vec<(&str, String)> = inputs.iter().map(|(k, v)| (*k, v.to_string())).collect();
        if !self.is_release_tag() {
            with.push(("version", release_tag()));
        }
        let mut out = format!("        uses: {self}\n");
        if !with.is_empty() {
            out.push_str("        with:\n");
            for (k, v) in with {
                out.push_str(&format!("          {k}: {v}\n"));
            }
        }
        out
    }
}

fn header(kind: Kind, depth: usize) -> String {
    format!(
        "# yaml-language-server: $schema={}schemas/{}\n",
        "../".repeat(depth),
        kind.schema_file()
    )
}

/// Every file `init` writes, as (relative path, contents), with workflows
/// that use this build's Action.
pub fn scaffold(name: &str) -> Vec<(String, String)> {
    scaffold_with(name, &ActionRef::default())
}

/// Every file `init` writes, with workflows that use `action`.
pub fn scaffold_with(name: &str, action: &ActionRef) -> Vec<(String, String)> {
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
            validate_workflow(action),
        ),
        (
            ".github/workflows/gitsm-gate.yml".to_string(),
            gate_workflow(action),
        ),
        (
            ".github/workflows/gitsm-status-page.yml".to_string(),
            status_page_workflow(action),
        ),
        (
            ".github/workflows/gitsm-intake.yml".to_string(),
            intake_workflow(action),
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

/// Validates every record on each pull request and push to main: findings
/// show as annotations on the diff, and all of them in the job summary.
pub fn validate_workflow(action: &ActionRef) -> String {
    format!(
        r#"# Validates every record on each pull request; findings show on the diff
# and, all of them, in the job summary. gitsm is a verified release binary
# downloaded by the gitsm Action: nothing is compiled (docs/github.md).
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
    timeout-minutes: 10
    steps:
      - uses: actions/checkout@v4
        with:
          persist-credentials: false
      - name: Validate records
{}"#,
        action.step(&[("command", "validate"), ("args", "--format github")])
    )
}

/// The change gate's workflow (see docs/gate.md). It must not be replaceable
/// by the pull request it judges:
///
/// * `pull_request_target` runs this file as it is on the base branch, with
///   the base checked out; the PR head is fetched as git objects only and
///   never checked out, built or run;
/// * it judges against the base branch's tip fetched when the job runs (a
///   sha resolved from `refs/heads/<base>`), not the event's `base.sha`;
/// * gitsm is a release binary the Action downloads and verifies, never
///   built from the PR;
/// * PR data reaches the shell only through environment variables, never
///   through `${{ }}` interpolation inside `run:`;
/// * `permissions:` grants only what the gate writes.
pub fn gate_workflow(action: &ActionRef) -> String {
    format!(
        r#"# The change gate: CAB approval, freezes, lead times, conflicts (docs/gate.md).
#
# SECURITY: this runs on `pull_request_target`, i.e. the copy of this file on
# the BASE branch, with a token that can write checks and comments. Never
# check out, build or run the pull request's files here. The PR head is
# fetched as git objects only; gitsm reads it with git, not from disk.
# The trusted deployment is the gitsm GitHub App (docs/github.md): its check
# cannot be posted by any workflow.
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
    timeout-minutes: 15
    steps:
      - name: Check out the base branch (trusted)
        uses: actions/checkout@v4
        with:
          ref: ${{{{ github.event.pull_request.base.ref }}}}
          fetch-depth: 0
      - name: Fetch the base branch's current tip and the PR head (objects only)
        id: revs
        env:
          BASE_REF: ${{{{ github.event.pull_request.base.ref }}}}
          PR_NUMBER: ${{{{ github.event.pull_request.number }}}}
          HEAD_SHA: ${{{{ github.event.pull_request.head.sha }}}}
        run: |
          git fetch --no-tags origin \
            "+refs/heads/${{BASE_REF}}:refs/remotes/origin/${{BASE_REF}}" \
            "+refs/pull/${{PR_NUMBER}}/head:refs/remotes/pr/head"
          # Judge against the tip just fetched, by its exact sha: not the
          # sha the event remembers, and never a name a tag could shadow.
          base_sha="$(git rev-parse --verify "refs/remotes/origin/${{BASE_REF}}^{{commit}}")"
          git cat-file -e "${{HEAD_SHA}}^{{commit}}"
          echo "base_sha=${{base_sha}}" >> "$GITHUB_OUTPUT"
      - name: Install gitsm (a verified release binary, not built from the PR)
{install}      - name: Gate
        env:
          GITHUB_TOKEN: ${{{{ secrets.GITHUB_TOKEN }}}}
          REPO: ${{{{ github.repository }}}}
          PR_NUMBER: ${{{{ github.event.pull_request.number }}}}
          PR_AUTHOR: ${{{{ github.event.pull_request.user.login }}}}
          BASE_SHA: ${{{{ steps.revs.outputs.base_sha }}}}
          HEAD_SHA: ${{{{ github.event.pull_request.head.sha }}}}
          GITSM_GITHUB_API_URL: ${{{{ github.api_url }}}}
        run: |
          # The verdict goes to the log, the job summary, the check run and
          # the PR comment; the exit code (0 allowed, 1 denied, 2 undecided)
          # is the step's.
          set +e
          gitsm gate --base "$BASE_SHA" --head "$HEAD_SHA" --author "$PR_AUTHOR" \
            --github "$REPO" --pr "$PR_NUMBER" --format markdown > "$RUNNER_TEMP/gate.md"
          code=$?
          cat "$RUNNER_TEMP/gate.md" >> "$GITHUB_STEP_SUMMARY"
          cat "$RUNNER_TEMP/gate.md"
          exit "$code"
"#,
        install = action.step(&[])
    )
}

/// The GitHub Pages workflow: publishes the status page on every push to main
/// and once a day, so the uptime bars roll forward on quiet days too.
/// Turns issues made from the `gitsm forms` issue forms into records: on
/// `issues: opened` with the forms' `gitsm` label, `gitsm intake` opens a
/// pull request with the record and comments on the issue.
pub fn intake_workflow(action: &ActionRef) -> String {
    format!(
        r#"# Turns an issue made from one of the issue forms (`gitsm forms`) into an
# incident or service request: a pull request with the record, and a comment
# on the issue with its id. A malformed issue gets a comment saying why.
name: gitsm intake
on:
  issues:
    types: [opened]
permissions:
  contents: write
  pull-requests: write
  issues: write
concurrency:
  # One at a time: each allocates the next free id.
  group: gitsm-intake
  cancel-in-progress: false
jobs:
  intake:
    if: contains(github.event.issue.labels.*.name, '{label}')
    runs-on: ubuntu-latest
    timeout-minutes: 5
    steps:
      - uses: actions/checkout@v4
        with:
          persist-credentials: false
      - name: Install gitsm
{install}      - name: Record the issue
        env:
          GITHUB_TOKEN: ${{{{ secrets.GITHUB_TOKEN }}}}
          ISSUE: ${{{{ github.event.issue.number }}}}
        run: gitsm intake --github "$GITHUB_REPOSITORY" --issue "$ISSUE"
"#,
        label = crate::forms::INTAKE_LABEL,
        install = action.step(&[])
    )
}

pub fn status_page_workflow(action: &ActionRef) -> String {
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
    timeout-minutes: 10
    steps:
      - uses: actions/checkout@v4
        with:
          persist-credentials: false
      - name: Build the status page
{build}      - uses: actions/upload-pages-artifact@v3
        with:
          path: site
  deploy:
    needs: build
    runs-on: ubuntu-latest
    timeout-minutes: 10
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
"#,
        build = action.step(&[("command", "status-page"), ("args", "--out site")])
    )
}
