"""How a resource's batches become requests, and answers become one outcome per row.

Each writer has two halves: `prepare(batch)` runs in the run's thread (it builds the body, so
that the bytes in flight are known), `send(client, request)` in an upload thread.

- `RecordsWriter`: wells, daily and monthly rows, ownership qualifiers. One JSON array a
  request, `PUT` (or `PATCH` for wells written so), nested objects built for a nested
  resource; the 207 answer gives an outcome per record.
- `SurveyWriter`: one directional survey a request. ComboCurve's id of the survey is taken
  from the ledger when a run has found it before; else the survey is looked for by its well
  (`GET /v1/directional-surveys?well=<id>`, the well's id from the ledger of wells, else from
  `GET /v1/wells?chosenID=&dataSource=`). A survey ComboCurve holds is read (`GET /{id}`) and
  updated with `PUT /{id}`: the stations to add, update and remove; one it does not hold is
  created with `POST`, whose answer carries no id (the next run that must update the survey
  finds it). Its outcome stands for every station row of the survey.
"""

from dataclasses import dataclass

import orjson

from .client import ApiClient, Outcome, PutResult, describe_errors
from .resources import WELLS, Resource
from .resources.surveys import changes, document
from .state import COMBOCURVE_ID
from .transform import to_payload
from .uploads import Batch


@dataclass(frozen=True)
class Prepared:
    """A request ready to go: its body (bytes, or a survey document), its size in bytes, the
    rows it stands for, and for a survey what is known of it."""

    body: object
    size: int
    rows: int
    survey_id: str | None = None
    well_id: str | None = None


class RecordsWriter:
    """A JSON array of records a request, answered 207."""

    def __init__(self, resource: Resource, method: str = "PUT"):
        self.resource, self.method = resource, method

    def prepare(self, batch: Batch) -> Prepared:
        body = to_payload(batch.records, self.resource)
        return Prepared(body, len(body), len(batch))

    def send(self, client: ApiClient, request: Prepared) -> PutResult:
        return client.write(self.method, self.resource.path, request.body, request.rows)


class SurveyWriter:
    """One survey a request: found, then updated by its id or created."""

    def __init__(self, resource: Resource, survey_ids: dict[int, str], well_ids=None):
        self.path = resource.path
        self.survey_ids = survey_ids  # key hash -> ComboCurve's survey id, from the ledger
        self.well_ids = well_ids  # a readback.WellIds: the wells' ids the ledger kept

    def prepare(self, batch: Batch) -> Prepared:
        body = document(batch.records)
        well = None if self.well_ids is None else \
            self.well_ids.lookup([body.get("dataSource")], [body.get("chosenID")])[0]
        return Prepared(body, len(orjson.dumps(body)), len(batch),
                        self.survey_ids.get(int(batch.key_hashes[0])), well)

    def send(self, client: ApiClient, request: Prepared) -> PutResult:
        calls = []  # the answers of every request made, for the attempts they took
        held = self._held(client, request, calls)
        if isinstance(held, Outcome):
            outcome = held
        elif held is None:
            answer = client.call("POST", self.path, document=request.body, answers={201, 400})
            calls.append(answer)
            outcome = _outcome(answer, None)
        else:
            answer = client.call("PUT", f"{self.path}/{held['id']}",
                                 document=changes(request.body, held),
                                 answers={200, 400, 404})
            calls.append(answer)
            outcome = _outcome(answer, held["id"])
        return PutResult([outcome] * request.rows, sum(a.attempts for a in calls))

    def _held(self, client: ApiClient, request: Prepared, calls: list):
        """The survey ComboCurve holds for the well (as GET answers it), None when it holds
        none, or the Outcome of a well that ComboCurve does not know."""
        if request.survey_id:
            answer = client.call("GET", f"{self.path}/{request.survey_id}", answers={200, 404})
            calls.append(answer)
            if answer.status == 200 and isinstance(answer.body, dict):
                return answer.body
        well = request.well_id or self._well(client, request.body, calls)
        if well is None:
            return Outcome(False, "Error", 404, (
                f"WellNotFoundError: ComboCurve has no well with chosenID "
                f"{request.body.get('chosenID')!r} and dataSource "
                f"{request.body.get('dataSource')!r}; sync the well first"))
        answer = client.call("GET", self.path, params={"well": well, "take": 1})
        calls.append(answer)
        found = answer.body if isinstance(answer.body, list) else []
        return found[0] if found and isinstance(found[0], dict) else None

    @staticmethod
    def _well(client: ApiClient, body: dict, calls: list) -> str | None:
        answer = client.call("GET", WELLS.path, params={
            "chosenID": body.get("chosenID"), "dataSource": body.get("dataSource"), "take": 1})
        calls.append(answer)
        found = answer.body if isinstance(answer.body, list) else []
        return found[0].get("id") if found and isinstance(found[0], dict) else None


def _outcome(answer, survey_id: str | None) -> Outcome:
    """A survey's answer: `{code, status, errors}`. A PUT whose stations could not be merged
    answers 200 "updated" with its errors listed and changes nothing: read `errors`."""
    body = answer.body if isinstance(answer.body, dict) else {}
    errors = describe_errors(body.get("errors"))
    status = body.get("status") if isinstance(body.get("status"), str) else None
    if answer.status in (200, 201) and not errors:
        return Outcome(True, status, answer.status, id=survey_id)
    if answer.status == 404:
        errors = errors or "NotFoundError: the survey was deleted from ComboCurve meanwhile"
    return Outcome(False, status, answer.status, errors or f"HTTP {answer.status}")


def survey_ids(held) -> dict[int, str]:
    """{key hash: ComboCurve id} of the surveys a ledger table holds ids of."""
    if COMBOCURVE_ID not in held.column_names:
        return {}
    keys = held.column("key_hash").to_pylist()
    return {int(k): i for k, i in zip(keys, held.column(COMBOCURVE_ID).to_pylist(),
                                      strict=True) if i}
