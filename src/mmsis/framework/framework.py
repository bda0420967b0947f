"""The loaded knowledge base and its query functions (look-ups by id, filters, records)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol, TypeVar

from mmsis.errors import InputError
from mmsis.framework.models import (
    CfirConstruct,
    CfirDomain,
    DataSource,
    EffectSize,
    EpisStage,
    EricCluster,
    EricStrategy,
    Evidence,
    Indicator,
    KeyResult,
    Outcome,
    Phase,
    Pillar,
    Question,
    ReaimDimension,
    StudyDesign,
)


class UnknownIdError(InputError, KeyError):
    """An id that is not in the knowledge base; both an InputError and a KeyError."""

    def __str__(self) -> str:
        return InputError.__str__(self)


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


T = TypeVar("T", bound=_HasId)


def _lookup(items: Sequence[T], id: str, what: str, field: str | None = None) -> T:
    """Find the entry with this id or raise UnknownIdError listing the known ids."""
    for item in items:
        if item.id == id:
            return item
    known = ", ".join(i.id for i in items[:40])
    more = " ..." if len(items) > 40 else ""
    raise UnknownIdError(f"unknown {what} id '{id}' (known: {known}{more})", field=field or what)


#: Kinds that `records` and the CLI know, with accepted aliases.
KINDS: dict[str, str] = {
    "phases": "phases",
    "pillars": "pillars",
    "results": "key_results",
    "key_results": "key_results",
    "key-results": "key_results",
    "outcomes": "outcomes",
    "questions": "questions",
    "indicators": "indicators",
    "designs": "designs",
    "data_sources": "data_sources",
    "data-sources": "data_sources",
    "cfir": "cfir",
    "reaim": "reaim",
    "epis": "epis",
    "eric": "eric",
    "eric_clusters": "eric_clusters",
    "effect_sizes": "effect_sizes",
    "effect-sizes": "effect_sizes",
    "mortality_multipliers": "mortality_multipliers",
    "mortality-multipliers": "mortality_multipliers",
    "anchors": "cost_effectiveness_anchors",
    "cost_effectiveness_anchors": "cost_effectiveness_anchors",
}
_EVIDENCE_KINDS = {"effect_sizes", "mortality_multipliers", "cost_effectiveness_anchors"}

#: Which filters apply to which kind.
_FILTERS: dict[str, set[str]] = {
    "phases": {"phase"},
    "pillars": {"pillar"},
    "key_results": {"phase", "pillar", "outcome"},
    "outcomes": {"outcome"},
    "questions": {"phase", "pillar", "outcome"},
    "indicators": {"phase", "pillar", "outcome"},
    "designs": {"phase"},
    "epis": {"phase"},
}


class Framework:
    """The IS knowledge base: phases, pillars, key results, outcomes, indicators, designs,
    question bank, CFIR / RE-AIM / EPIS / ERIC and the evidence; built by `load_framework`."""

    def __init__(
        self,
        *,
        phases: list[Phase],
        pillars: list[Pillar],
        key_results: list[KeyResult],
        outcomes: list[Outcome],
        data_sources: list[DataSource],
        indicators: list[Indicator],
        designs: list[StudyDesign],
        questions: list[Question],
        cfir: list[CfirDomain],
        reaim: list[ReaimDimension],
        epis: list[EpisStage],
        eric_clusters: list[EricCluster],
        eric: list[EricStrategy],
        evidence: Evidence,
        files: dict[str, str] | None = None,
    ) -> None:
        self.phases = sorted(phases, key=lambda p: p.order)
        self.pillars = pillars
        self.key_results = key_results
        self.outcomes = outcomes
        self.data_sources = data_sources
        self.indicators = indicators
        self.designs = designs
        self.questions = questions
        self.cfir = cfir
        self.reaim = reaim
        self.epis = epis
        self.eric_clusters = eric_clusters
        self.eric = eric
        self.evidence = evidence
        #: kind -> the file each kind was read from (for messages and provenance)
        self.files = files or {}

    def __repr__(self) -> str:
        return (
            f"Framework({len(self.phases)} phases, {len(self.pillars)} pillars, "
            f"{len(self.key_results)} key results, {len(self.indicators)} indicators, "
            f"{len(self.questions)} questions)"
        )

    # --- look-ups by id -------------------------------------------------------------------

    def phase(self, id: str) -> Phase:
        """The phase with this id."""
        return _lookup(self.phases, id, "phase")

    def pillar(self, id: str) -> Pillar:
        """The pillar with this id."""
        return _lookup(self.pillars, id, "pillar")

    def key_result(self, id: str) -> KeyResult:
        """The key result with this id."""
        return _lookup(self.key_results, id, "key result")

    def outcome(self, id: str) -> Outcome:
        """The implementation outcome with this id."""
        return _lookup(self.outcomes, id, "outcome")

    def indicator(self, id: str) -> Indicator:
        """The indicator reference sheet with this id."""
        return _lookup(self.indicators, id, "indicator")

    def question(self, id: str) -> Question:
        """The research question with this id."""
        return _lookup(self.questions, id, "question")

    def design(self, id: str) -> StudyDesign:
        """The study design with this id."""
        return _lookup(self.designs, id, "design")

    def data_source(self, id: str) -> DataSource:
        """The data source with this id."""
        return _lookup(self.data_sources, id, "data source")

    def effect_size(self, id: str) -> EffectSize:
        """The MMS-vs-IFA effect size with this id."""
        return self.evidence.effect_size(id)

    def eric_strategy(self, id: str) -> EricStrategy:
        """The ERIC strategy with this id."""
        return _lookup(self.eric, id, "ERIC strategy")

    def cfir_constructs(self) -> list[CfirConstruct]:
        """All CFIR constructs, over all domains."""
        return [c for d in self.cfir for c in d.constructs]

    # --- filters ----------------------------------------------------------------------------

    def key_results_for(
        self, phase: str | None = None, pillar: str | None = None
    ) -> list[KeyResult]:
        """Key results of one phase and/or pillar (ids checked)."""
        if phase is not None:
            self.phase(phase)
        if pillar is not None:
            self.pillar(pillar)
        return [
            k
            for k in self.key_results
            if (phase is None or k.phase == phase) and (pillar is None or k.pillar == pillar)
        ]

    def questions_for(
        self, phase: str | None = None, pillar: str | None = None, outcome: str | None = None
    ) -> list[Question]:
        """Research questions tagged with a phase, pillar and/or outcome, high priority first."""
        if phase is not None:
            self.phase(phase)
        if pillar is not None:
            self.pillar(pillar)
        if outcome is not None:
            self.outcome(outcome)
        rank = {"high": 0, "medium": 1, "low": 2}
        hits = [
            q
            for q in self.questions
            if (phase is None or phase in q.phases)
            and (pillar is None or pillar in q.pillars)
            and (outcome is None or outcome in q.outcomes)
        ]
        return sorted(hits, key=lambda q: rank[q.priority])

    def top_questions(self, phase: str, n: int = 8) -> list[Question]:
        """The n most pressing questions of a phase: by priority, spread across pillars
        (round-robin on each question's first pillar) so one pillar does not crowd the list."""
        rank = {"high": 0, "medium": 1, "low": 2}
        order = {p.id: i for i, p in enumerate(self.pillars)}
        queues: dict[str, list[Question]] = {}
        for q in self.questions_for(phase=phase):
            queues.setdefault(q.pillars[0], []).append(q)
        picked: list[Question] = []
        while len(picked) < n and any(queues.values()):
            heads = [(rank[qs[0].priority], order.get(p, 99), p) for p, qs in queues.items() if qs]
            best_rank = min(h[0] for h in heads)
            for _, _, p in sorted(h for h in heads if h[0] == best_rank):
                if len(picked) < n:
                    picked.append(queues[p].pop(0))
        return picked

    def indicators_for(
        self, phase: str | None = None, pillar: str | None = None, outcome: str | None = None
    ) -> list[Indicator]:
        """Indicators of a pillar/outcome; with `phase`, those used by that phase's key
        results or questions."""
        if pillar is not None:
            self.pillar(pillar)
        if outcome is not None:
            self.outcome(outcome)
        used: set[str] | None = None
        if phase is not None:
            used = {k.indicator for k in self.key_results_for(phase=phase) if k.indicator}
            used |= {i for q in self.questions_for(phase=phase) for i in q.indicators}
        return [
            i
            for i in self.indicators
            if (used is None or i.id in used)
            and (pillar is None or i.pillar == pillar)
            and (outcome is None or i.outcome == outcome)
        ]

    def designs_for(self, phase: str | None = None) -> list[StudyDesign]:
        """Study designs that fit a phase."""
        if phase is None:
            return list(self.designs)
        self.phase(phase)
        return [d for d in self.designs if phase in d.phases]

    def eric_by_cluster(self) -> dict[str, list[EricStrategy]]:
        """ERIC strategies grouped by cluster id, in cluster order."""
        out: dict[str, list[EricStrategy]] = {c.id: [] for c in self.eric_clusters}
        for s in self.eric:
            out.setdefault(s.cluster, []).append(s)
        return out

    # --- records ------------------------------------------------------------------------------

    def records(
        self,
        kind: str,
        phase: str | None = None,
        pillar: str | None = None,
        outcome: str | None = None,
    ) -> list[dict[str, Any]]:
        """Entries of one kind as plain dicts (what `mmsis framework show --json` prints)."""
        canonical = KINDS.get(kind)
        if canonical is None:
            raise InputError(
                f"unknown kind '{kind}'; choose one of: {', '.join(sorted(set(KINDS)))}",
                field="kind",
            )
        given = {k for k, v in (("phase", phase), ("pillar", pillar), ("outcome", outcome)) if v}
        allowed = _FILTERS.get(canonical, set())
        if given - allowed:
            bad = ", ".join(sorted(given - allowed))
            ok = ", ".join(sorted(allowed)) or "none"
            raise InputError(
                f"filter {bad} does not apply to {kind} (filters for {kind}: {ok})", field=bad
            )
        items: Iterable[Any]
        if canonical == "phases":
            items = [self.phase(phase)] if phase else self.phases
        elif canonical == "pillars":
            items = [self.pillar(pillar)] if pillar else self.pillars
        elif canonical == "outcomes":
            items = [self.outcome(outcome)] if outcome else self.outcomes
        elif canonical == "key_results":
            items = self.key_results_for(phase=phase, pillar=pillar)
            if outcome:
                self.outcome(outcome)
                items = [
                    k
                    for k in items
                    if k.indicator and self.indicator(k.indicator).outcome == outcome
                ]
        elif canonical == "questions":
            items = self.questions_for(phase=phase, pillar=pillar, outcome=outcome)
        elif canonical == "indicators":
            items = self.indicators_for(phase=phase, pillar=pillar, outcome=outcome)
        elif canonical == "designs":
            items = self.designs_for(phase=phase)
        elif canonical == "epis":
            if phase:
                self.phase(phase)
            items = [e for e in self.epis if phase is None or phase in e.phases]
        elif canonical in _EVIDENCE_KINDS:
            items = getattr(self.evidence, canonical)
        else:
            items = getattr(self, canonical)
        return [item.model_dump(mode="json") for item in items]
