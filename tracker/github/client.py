"""A small GitHub REST client over httpx: the commits between two commits, dispatching a
workflow, a pull request's comments (listed, created, edited) and commit statuses. Tests point
`base_url` at a local stand-in that speaks the same API.

Errors say whether trying again can help: `TransientGitHubError` for answers GitHub may give
differently later (5xx, 429, and 422, which a workflow dispatch answers while a ref or a workflow
file is not yet visible) and for connections that failed before a request was sent;
`PermanentGitHubError` for the rest (bad token, no such repository or workflow). A request that
may have reached GitHub without an answer raises `UnknownOutcomeError`: for a dispatch, the
workflow may be running.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

API_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
COMMITS_PER_PAGE = 100
COMMENTS_PER_PAGE = 100
_PULL_REQUEST = re.compile(r"\(#(\d+)\)\s*$")
_TRANSIENT_STATUSES = frozenset({422, 429, 500, 502, 503, 504})


class GitHubError(Exception):
    """A call to GitHub that did not succeed."""


class TransientGitHubError(GitHubError):
    """Trying again later may succeed; nothing was done."""


class PermanentGitHubError(GitHubError):
    """Trying again will not help (authentication, no such repository, workflow or commit)."""


class UnknownOutcomeError(GitHubError):
    """The request may have reached GitHub, but no answer came back."""


@dataclass(frozen=True)
class Commit:
    """A commit of a range: its sha, the first line of its message, and the pull request a
    squash merge names in it ("… (#12345)")."""

    sha: str
    title: str
    pull_request: int | None


def repository_path(repo_url: str) -> str:
    """``https://github.com/sgl-project/sglang`` (or ``.git``) → ``sgl-project/sglang``."""
    path = repo_url.strip().rstrip("/").removesuffix(".git")
    path = path.removeprefix("https://github.com/").removeprefix("http://github.com/")
    if path.count("/") != 1 or not all(path.split("/")):
        raise ValueError(f"{repo_url!r} is not a GitHub repository address")
    return path


def commit_of(entry: Mapping[str, Any]) -> Commit:
    title = str(entry["commit"]["message"]).split("\n", 1)[0].strip()
    pull = _PULL_REQUEST.search(title)
    return Commit(sha=str(entry["sha"]), title=title, pull_request=int(pull[1]) if pull else None)


class GitHubClient:
    """GitHub's REST API with a token (sent as a bearer token, never logged)."""

    def __init__(self, *, token: str, base_url: str = API_URL, timeout_s: float = 30.0) -> None:
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            timeout=timeout_s,
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": API_VERSION,
            },
        )

    def close(self) -> None:
        self._http.close()

    def compare(self, repository: str, base: str, head: str) -> list[Commit]:
        """The commits after ``base`` up to ``head``, oldest first (every page)."""
        commits: list[Commit] = []
        page = 1
        while True:
            answer = self._request(
                "GET",
                f"/repos/{repository}/compare/{base}...{head}",
                params={"per_page": COMMITS_PER_PAGE, "page": page},
            ).json()
            entries = answer.get("commits", [])
            commits.extend(commit_of(entry) for entry in entries)
            total = int(answer.get("total_commits", len(commits)))
            if len(commits) >= total or len(entries) < COMMITS_PER_PAGE:
                return commits
            page += 1

    def dispatch_workflow(
        self, repository: str, workflow: str, *, ref: str, inputs: Mapping[str, str]
    ) -> None:
        """Start ``workflow`` (its file name or id) on ``ref`` with ``inputs``."""
        self._request(
            "POST",
            f"/repos/{repository}/actions/workflows/{workflow}/dispatches",
            json={"ref": ref, "inputs": dict(inputs)},
        )

    def issue_comments(self, repository: str, number: int) -> list[tuple[int, str]]:
        """(id, body) of every comment on issue or pull request ``number``, oldest first."""
        comments: list[tuple[int, str]] = []
        page = 1
        while True:
            entries = self._request(
                "GET",
                f"/repos/{repository}/issues/{number}/comments",
                params={"per_page": COMMENTS_PER_PAGE, "page": page},
            ).json()
            comments.extend((int(entry["id"]), str(entry.get("body") or "")) for entry in entries)
            if len(entries) < COMMENTS_PER_PAGE:
                return comments
            page += 1

    def create_issue_comment(self, repository: str, number: int, body: str) -> int:
        """Comment on issue or pull request ``number``; the comment's id."""
        answer = self._request(
            "POST", f"/repos/{repository}/issues/{number}/comments", json={"body": body}
        ).json()
        return int(answer["id"])

    def update_issue_comment(self, repository: str, comment_id: int, body: str) -> None:
        self._request(
            "PATCH", f"/repos/{repository}/issues/comments/{comment_id}", json={"body": body}
        )

    def set_commit_status(
        self,
        repository: str,
        sha: str,
        *,
        state: str,
        context: str,
        description: str,
        target_url: str | None,
    ) -> None:
        """The commit's status in ``context`` (the latest one set is shown)."""
        status: dict[str, str] = {
            "state": state,
            "context": context,
            "description": description[:140],
        }
        if target_url:
            status["target_url"] = target_url
        self._request("POST", f"/repos/{repository}/statuses/{sha}", json=status)

    def _request(self, method: str, path: str, **arguments: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, **arguments)
        except (httpx.ConnectError, httpx.ConnectTimeout) as error:
            raise TransientGitHubError(f"{method} {path}: GitHub unreachable ({error})") from error
        except httpx.TransportError as error:
            raise UnknownOutcomeError(f"{method} {path}: no answer ({error})") from error
        if response.is_success:
            return response
        message = f"{method} {path}: {response.status_code} {_message(response)}"
        if response.status_code in _TRANSIENT_STATUSES:
            raise TransientGitHubError(message)
        raise PermanentGitHubError(message)


def _message(response: httpx.Response) -> str:
    try:
        return str(response.json().get("message", response.text))[:300]
    except ValueError:
        return response.text[:300]
