"""`world`: the simulated cloud as rows a newcomer can copy IDs and selectors from.

Each instance comes with its ENIs; each ENI with its type, status, name, tags (written as the
`tag:key=value` selectors `/eni detach` takes) and a note on what the bot can do with it. Free
ENIs are listed per region after the instances, with where they can be attached.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence

from rich.text import Text

from bot.sim.ecs.world import EniStatus, EniType, Instance, NetworkInterface

__all__ = ["eni_row", "tag_selectors", "world_rows"]

_INSTANCE = "cyan"
_STATUS = "green"
_FREE = "bold green"
_TAGS = "yellow"
_NOTE = "dim"


def world_rows(
    regions: Sequence[str],
    instances: Mapping[str, Sequence[Instance]],
    enis: Mapping[str, Sequence[NetworkInterface]],
    no_hot_plug: Iterable[str] = (),
) -> Iterator[Text]:
    """The simulator's instances and ENIs per region, one row each."""
    without_hot_plug = set(no_hot_plug)
    for region in regions:
        yield Text(region, style="bold")
        region_enis = list(enis.get(region, ()))
        for instance in instances.get(region, ()):
            row = Text(f"  {instance.instance_id}  ", style=_INSTANCE)
            row.append(f"{instance.name or '-'}  {instance.status}  {instance.instance_type}")
            if instance.instance_type in without_hot_plug:
                row.append("  (no ENI hot-plug: stop it before detaching)", style=_NOTE)
            yield row
            for eni in region_enis:
                if eni.instance_id == instance.instance_id:
                    yield eni_row(eni)
        free = [e for e in region_enis if e.instance_id is None]
        if free:
            yield Text("  (not attached)", style=_NOTE)
            for eni in free:
                yield eni_row(eni)


def tag_selectors(tags: Mapping[str, str]) -> str:
    """An ENI's tags as `/eni detach` selects by them: `tag:team=web tag:env=prod`."""
    return " ".join(f"tag:{key}={value}" for key, value in tags.items())


def eni_row(eni: NetworkInterface) -> Text:
    """One ENI: ID, type, status, name, tags, and what stands in the way of detaching it."""
    row = Text(f"    {eni.eni_id}  ")
    free = eni.status is EniStatus.AVAILABLE
    row.append(f"{eni.type:<9} {eni.status:<9}", style=_FREE if free else _STATUS)
    row.append(f"  {eni.name or '-'}")
    if eni.tags:
        row.append(f"  {tag_selectors(eni.tags)}", style=_TAGS)
    notes = _notes(eni)
    if notes:
        row.append(f"  ({'; '.join(notes)})", style=_NOTE)
    return row


def _notes(eni: NetworkInterface) -> list[str]:
    notes: list[str] = []
    if eni.type is EniType.PRIMARY:
        notes.append("primary: cannot be detached")
    if eni.type is EniType.TRUNK:
        notes.append("trunk")
    if eni.trunk_id:
        notes.append(f"member of {eni.trunk_id}")
    if eni.service_managed:
        notes.append("managed by a cloud service")
    if eni.linked:
        notes.append("linked to another ENI")
    if eni.stuck_left:
        notes.append(f"will stick in Detaching ({eni.stuck_left}x)")
    if eni.status is EniStatus.AVAILABLE and eni.instance_id is None:
        # Nothing to detach; what ECS allows next is an attach, within the ENI's zone.
        where = f" in {eni.zone_id}" if eni.zone_id else ""
        notes.append(f"free: can be attached to an instance{where}")
    return notes
