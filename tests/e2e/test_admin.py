"""/admin through Discord: run-time permission checks and the audit (faults.md 25), limits and
role overrides, budgets and their alerts, bans, the mod-log's one-click actions."""

from __future__ import annotations

import io
import time
from typing import Any

import pytest
from PIL import Image

from bot.app import MJBot
from bot.db.records import ChargeState
from bot.imaging.chart import bar_geometry, mode_colour
from bot.jobs.usage import build_report
from bot.playground.standin.server import FakeDiscord
from bot.sim import Simulator
from tests.e2e.conftest import final, job_id_of


def guild_id(fake: FakeDiscord) -> int:
    assert fake.guild is not None
    return fake.guild.id


async def said(result: Any) -> str:
    """The private sentence the bot answered with (its first answer, or a follow-up when
    a public "thinking…" was replaced by it)."""
    found = await result.wait(
        lambda r: next((m for m in r.messages if m.text and not m.loading), None),
        what="the bot's sentence",
    )
    assert found.ephemeral, found.text
    return str(found.text)


async def imagine(user: Any, prompt: str, channel: str = "general") -> Any:
    return await user.slash("imagine", prompt=prompt, channel=channel)


async def run_job(user: Any, prompt: str, channel: str = "general") -> Any:
    return await (await imagine(user, prompt, channel)).wait_for_message(final, timeout=20)


@pytest.mark.fault(25)
async def test_members_cannot_change_settings_even_when_the_command_is_shown_to_them(
    bot: MJBot, fake_discord: FakeDiscord
) -> None:
    alice = fake_discord.user("alice")
    # Discord hides /admin from members; a server may widen that: the bot checks anyway.
    refused = await alice.slash("admin limits daily", jobs=1, bypass_permissions=True)
    assert "Manage Server" in await said(refused)
    assert (await bot.db.guilds.get(guild_id(fake_discord))).daily_quota_per_user is None
    (entry,) = await bot.db.audit.page(guild_id(fake_discord), actor_id=alice.id)
    assert entry.action == "admin.limits" and not entry.allowed
    assert entry.detail["denied"] == "no Manage Server permission"
    # The key form is refused before it opens.
    opened = await alice.slash("admin key set", bypass_permissions=True)
    assert opened.modal is None and "Manage Server" in await said(opened)


async def test_overview_marks_what_was_changed(bot: MJBot, fake_discord: FakeDiscord) -> None:
    mod = fake_discord.user("moderator")
    assert "jobs per member per day: 3" in await said(await mod.slash("admin limits daily", jobs=3))
    seen = await said(await mod.slash("admin overview"))
    assert "**Jobs per member per day:** 3" in seen
    assert "Monthly budget: no budget · *default*" in seen
    (entry, *_) = await bot.db.audit.page(guild_id(fake_discord), action_prefix="admin.limits")
    assert entry.allowed and entry.detail["before"] == {"daily_quota_per_user": None}
    assert entry.detail["after"] == {"daily_quota_per_user": 3}


@pytest.fixture
def artists(fake_discord: FakeDiscord) -> Any:
    """Alice has the role "Artists" (made before the bot connects, so it knows the role)."""
    guild = fake_discord.guild
    assert guild is not None
    role = fake_discord.world.add_role(guild, "Artists", 0)
    guild.members[fake_discord.user("alice").id].role_ids.append(role.id)
    return role


async def test_a_daily_limit_refuses_with_its_reset_and_a_role_lifts_it(
    artists: Any, bot: MJBot, fake_discord: FakeDiscord, sim: Simulator
) -> None:
    mod, alice = fake_discord.user("moderator"), fake_discord.user("alice")
    await mod.slash("admin limits daily", jobs=1)
    await run_job(alice, "a first fox")
    refused = await said(await imagine(alice, "a second fox"))
    assert "daily job limit (1)" in refused and "<t:" in refused
    assert "Nothing was charged" in refused
    assert len([r for r in sim.requests if r.path.endswith("/submit/imagine")]) == 1

    await mod.slash("admin limits role", role="Artists")  # no number: no limit
    await run_job(alice, "a third fox")  # the role's own quota applies


async def test_budget_alerts_once_at_each_threshold_and_refuses_when_spent(
    bot: MJBot, fake_discord: FakeDiscord
) -> None:
    mod, alice, bob = (fake_discord.user(n) for n in ("moderator", "alice", "bob"))
    await mod.slash("admin modlog", options={"channel": "imagine"})
    await mod.slash("admin limits budget", credits=4)
    for n in range(4):
        await run_job(alice if n % 2 else bob, f"a lantern {n}")
    refused = await said(await imagine(alice, "one lantern too many"))
    assert "monthly budget" in refused and "Nothing was charged" in refused
    await said(await imagine(bob, "and another"))

    def alerts() -> list[str]:
        return [
            m.text
            for m in fake_discord.messages("imagine")
            if m.embeds and "budget" in m.embeds[0].get("footer", {}).get("text", "")
        ]

    await fake_discord.wait_until(lambda: len(alerts()) >= 3, what="three budget alerts")
    texts = alerts()
    assert [("50 %" in t, "80 %" in t, "used up" in t) for t in texts] == [
        (True, False, False),
        (False, True, False),
        (False, False, True),
    ]  # once each, although two jobs were refused at 100 %


async def test_a_ban_stops_jobs_and_the_mod_log_buttons_check_who_clicks(
    bot: MJBot, fake_discord: FakeDiscord
) -> None:
    mod, alice, bob = (fake_discord.user(n) for n in ("moderator", "alice", "bob"))
    await mod.slash("admin modlog", options={"channel": "imagine"})
    banned = await said(await mod.slash("admin members ban", user=alice, reason="spam", days=1))
    assert "spam" in banned and "until <t:" in banned
    assert "can't use this bot" in await said(await imagine(alice, "a fox"))
    post = await fake_discord.wait_for_message(
        lambda m: m.channel_id == fake_discord.channel("imagine").id and bool(m.buttons)
    )
    # A member cannot use the mod-log's buttons (were they to see the channel).
    denied = await bob.click(post, "Unban")
    assert "Manage Server" in await said(denied)
    assert await bot.db.guilds.is_banned(guild_id(fake_discord), alice.id)
    lifted = await mod.click(post, "Unban")
    assert "can use the bot again" in await said(lifted)
    await run_job(alice, "a fox, at last")
    actions = [e.action for e in await bot.db.audit.page(guild_id(fake_discord), limit=20)]
    assert actions.count("admin.unban") == 2  # the refused click is in the trail too


async def test_mod_log_refund_gives_a_charge_back_once(
    bot: MJBot, fake_discord: FakeDiscord
) -> None:
    mod, alice = fake_discord.user("moderator"), fake_discord.user("alice")
    done = await run_job(alice, "a refund candidate")
    job_id = job_id_of(done)
    await bot.modlog.post(guild_id(fake_discord), "upstream", "test", job_id=job_id)  # no channel
    await mod.slash("admin modlog", options={"channel": "imagine"})
    assert await bot.modlog.post(guild_id(fake_discord), "upstream", "a complaint", job_id=job_id)
    post = await fake_discord.wait_for_message(lambda m: "a complaint" in m.text)
    assert "was refunded" in await said(await mod.click(post, "Refund the job"))
    assert "no charge to give back" in await said(await mod.click(post, "Refund the job"))
    assert (await bot.db.jobs.get(job_id)).charge_state == ChargeState.REFUNDED  # type: ignore[union-attr]


async def test_channel_defaults_apply_and_typed_options_win(
    bot: MJBot, fake_discord: FakeDiscord, sim: Simulator
) -> None:
    mod, alice = fake_discord.user("moderator"), fake_discord.user("alice")
    await mod.slash(
        "admin channels defaults",
        options={"channel": "imagine", "aspect": "16:9", "suffix": "--stylize 250 --chaos 5"},
    )
    await run_job(alice, "a quiet bay", channel="imagine")
    await run_job(alice, "a loud bay --chaos 40", channel="imagine")
    await run_job(alice, "a bay elsewhere")  # #general has no defaults
    first, second, third = (r.json["prompt"] for r in sim.requests if r.path.endswith("/imagine"))
    assert first == "a quiet bay --stylize 250 --chaos 5 --ar 16:9"
    assert second == "a loud bay --chaos 40 --stylize 250 --ar 16:9"
    assert third == "a bay elsewhere"


async def test_a_team_server_makes_jobs_private_by_default(
    bot: MJBot, fake_discord: FakeDiscord
) -> None:
    owner, alice = fake_discord.user("owner"), fake_discord.user("alice")
    assert "private by default: on" in await said(await owner.slash("admin private", on=True))
    job = await (await imagine(alice, "a secret garden")).wait_for_message(final, timeout=20)
    assert job.ephemeral
    asked = await alice.slash("imagine", prompt="a public garden", private=False)
    public = await asked.wait_for_message(final, timeout=20)
    assert not public.ephemeral  # asked for: typed options win


async def test_concurrent_jobs_and_cooldown(bot: MJBot, fake_discord: FakeDiscord) -> None:
    mod, alice = fake_discord.user("moderator"), fake_discord.user("alice")
    await mod.slash("admin limits cooldown", seconds=3600)
    await run_job(alice, "a first kite")
    refused = await said(await imagine(alice, "a second kite"))
    assert "wait between jobs" in refused and "Nothing was charged" in refused
    await mod.slash("admin limits cooldown", seconds=0)
    await mod.slash("admin limits concurrent", jobs=1)
    await run_job(alice, "a third kite")  # the first one finished: none running


async def test_banned_words_import_export_and_escalation_to_a_timeout(
    bot: MJBot, fake_discord: FakeDiscord
) -> None:
    mod, alice = fake_discord.user("moderator"), fake_discord.user("alice")
    await mod.slash("admin modlog", options={"channel": "imagine"})
    listed = b"# our list\nbroccoli\nmarzipan, kale\n" + b"x" * 120 + b"\n"
    imported = await said(await mod.slash("admin words import", file=("words.txt", listed)))
    assert "now bans 3 words" in imported and "line 4" in imported
    exported = await mod.slash("admin words list")
    message = await exported.wait_for_message(lambda m: bool(m.attachments))
    assert message.attachments[0].data.decode().splitlines()[-3:] == [
        "broccoli",
        "marzipan",
        "kale",
    ]
    await mod.slash("admin words escalation", blocked=2, minutes=30)
    for _ in range(2):
        assert "broccoli" in await said(await imagine(alice, "a Broccoli forest"))

    def reports() -> list[str]:
        channel = fake_discord.channel("imagine").id
        return [
            m.text for m in fake_discord.world.channel_history(channel) if "was blocked" in m.text
        ]

    await fake_discord.wait_until(lambda: len(reports()) == 2, what="two mod-log reports")
    assert "timed them out for 30 minutes" in reports()[1]
    assert "timed them out" not in reports()[0]
    member = fake_discord.guild.members[alice.id]  # type: ignore[union-attr]
    assert member.timed_out_until is not None


async def test_usage_is_a_chart_and_a_csv_that_match_the_ledger(
    bot: MJBot, fake_discord: FakeDiscord
) -> None:
    from bot.jobs.usage import from_csv

    mod, alice = fake_discord.user("moderator"), fake_discord.user("alice")
    await run_job(alice, "a first owl")
    await run_job(alice, "a fast owl")
    await (await alice.slash("imagine", prompt="a turbo owl", speed="turbo")).wait_for_message(
        final, timeout=20
    )
    result = await mod.slash("admin usage", days=7)
    shown = await result.wait_for_followup(lambda m: len(m.attachments) == 2, timeout=20)
    assert "3 jobs, 5 credits spent" in shown.text
    chart, csv = shown.attachments
    assert Image.open(io.BytesIO(chart.data)).format == "PNG"
    rows = from_csv(csv.data)
    jobs = {j.id: j for j in await bot.db.jobs.list_for_user(guild_id(fake_discord), alice.id)}
    assert sorted(r.job_id for r in rows) == sorted(jobs)
    assert {r.job_id: r.charged for r in rows} == {i: j.cost for i, j in jobs.items()}

    # The bars drawn are the ledger's: 2 fast credits and 3 turbo credits today.
    report = await build_report(
        bot.db.usage, guild_id(fake_discord), days=7, now=time.time(), budget=None
    )
    image = Image.open(io.BytesIO(chart.data)).convert("RGB")
    drawn = {s.mode: s for s in bar_geometry(report, image.size) if s.value}
    assert {m: s.value for m, s in drawn.items()} == {"fast": 2, "turbo": 3}
    for mode, segment in drawn.items():
        centre = ((segment.left + segment.right) // 2, (segment.top + segment.bottom) // 2)
        assert image.getpixel(centre) == mode_colour(mode)
    fast, turbo = drawn["fast"], drawn["turbo"]
    assert abs((fast.bottom - fast.top) * 3 - (turbo.bottom - turbo.top) * 2) <= 3


async def test_info_shows_what_is_left_and_turbo_can_be_kept_for_a_role(
    artists: Any, bot: MJBot, fake_discord: FakeDiscord
) -> None:
    mod, alice, bob = (fake_discord.user(n) for n in ("moderator", "alice", "bob"))
    await mod.slash("admin limits daily", jobs=5)
    await mod.slash("admin limits budget", credits=100)
    await run_job(bob, "a plain heron")
    info = await (await bob.slash("info")).wait_for_message()
    assert "1 of 5 credits (4 left)" in info.text
    assert "1 of 100 credits spent (99 left)" in info.text

    assert "turbo is for" in await said(await mod.slash("admin prompts turbo-role", role="Artists"))
    refused = await said(await bob.slash("imagine", prompt="a quick heron", speed="turbo"))
    assert "Turbo is kept for" in refused and "Nothing was charged" in refused
    asked = await alice.slash("imagine", prompt="a quick heron", speed="turbo")
    await asked.wait_for_message(final, timeout=20)  # Alice is an Artist


async def test_the_operator_can_require_servers_to_bring_their_own_key(
    make_bot: Any, run_client: Any, fake_discord: FakeDiscord
) -> None:
    async with run_client(make_bot(require_guild_keys=True)):
        refused = await said(await imagine(fake_discord.user("alice"), "a heron"))
        assert "bring their own CometAPI key" in refused


@pytest.mark.fault(25)
async def test_the_overview_panel_changes_settings_and_rechecks_every_submit(
    bot: MJBot, fake_discord: FakeDiscord
) -> None:
    from bot.playground.standin.model import MODERATOR_PERMISSIONS

    mod = fake_discord.user("moderator")
    result = await mod.slash("admin overview")
    panel = await result.wait_for_message(lambda m: bool(m.buttons))
    await mod.click(panel, "Private by default: off")
    await fake_discord.wait_until(lambda: "Private by default: on" in str(panel.buttons))
    assert (await bot.db.guilds.get(guild_id(fake_discord))).private_by_default
    await mod.select(panel, "Who may press a job's buttons", ["anyone"])
    await fake_discord.wait_until(lambda: "Anyone who can see the job" in panel.text)

    form = await mod.click(panel, "Limits and budget…")
    assert form.modal is not None
    done = await mod.submit_modal(
        form,
        {
            "Jobs per member per day (empty: no limit)": "7",
            "Credits per month (empty: no budget)": "250",
        },
    )
    await done.wait_for_response()
    await fake_discord.wait_until(lambda: "**Monthly budget:** 250 credits" in panel.text)
    assert (await bot.db.guilds.get(guild_id(fake_discord))).daily_quota_per_user == 7

    # Demoted while the form was open: the submit is refused, nothing changes, it is audited.
    form = await mod.click(panel, "Limits and budget…")
    assert fake_discord.guild is not None
    fake_discord.guild.role("Moderator").permissions = MODERATOR_PERMISSIONS & ~(1 << 5)
    refused = await mod.submit_modal(form, {"Jobs per member per day (empty: no limit)": "99"})
    assert "Manage Server" in await said(refused)
    assert (await bot.db.guilds.get(guild_id(fake_discord))).daily_quota_per_user == 7
    (entry, *_) = await bot.db.audit.page(guild_id(fake_discord), action_prefix="admin.panel")
    assert not entry.allowed


async def test_style_kits_are_published_picked_with_autocomplete_and_applied(
    bot: MJBot, fake_discord: FakeDiscord, sim: Simulator
) -> None:
    mod, alice = fake_discord.user("moderator"), fake_discord.user("alice")
    published = await mod.slash(
        "admin kits add",
        name="Watercolour",
        params="--sref 123 --stylize 250",
        suffix="soft wash",
        description="Our house style",
    )
    assert "“watercolour” is published" in await said(published)
    bad = await mod.slash("admin kits add", name="loud", params="--stylize 250 very loud")
    assert "--name value pairs only" in await said(bad)
    denied = await alice.slash(
        "admin kits add", name="mine", params="--v 7", bypass_permissions=True
    )
    assert "Manage Server" in await said(denied)

    typed = await alice.autocomplete("imagine", "kit", prompt="a pier", kit="wat")
    assert [c["value"] for c in typed.choices] == ["watercolour"]
    await (
        await alice.slash("imagine", prompt="a pier --s 50", kit="watercolour")
    ).wait_for_message(final, timeout=20)
    sent = [r.json["prompt"] for r in sim.requests if r.path.endswith("/imagine")][-1]
    assert sent == "a pier soft wash --s 50 --sref 123"  # the member's --s wins
    unknown = await alice.slash("imagine", prompt="a pier", kit="nope")
    assert "no style kit called “nope”" in await said(unknown)


async def test_a_member_reports_a_result_and_a_moderator_deletes_it_from_the_mod_log(
    bot: MJBot, fake_discord: FakeDiscord
) -> None:
    mod, alice, bob = (fake_discord.user(n) for n in ("moderator", "alice", "bob"))
    await mod.slash("admin modlog", options={"channel": "imagine"})
    done = await run_job(alice, "a questionable owl")
    reported = await bob.context_menu("Report to moderators", done)
    assert "moderators were told" in await said(reported)
    post = await fake_discord.wait_for_message(lambda m: "reported job" in m.text)
    assert {b["label"] for b in post.buttons} >= {"Delete the result", "Refund the job", "Ban 24 h"}
    assert "Manage Server" in await said(await bob.click(post, "Delete the result"))
    assert not done.deleted
    assert "was deleted" in await said(await mod.click(post, "Delete the result"))
    await fake_discord.wait_until(lambda: done.deleted, what="the result deleted")


async def test_a_prompt_midjourney_refuses_counts_as_a_hit(
    bot: MJBot, fake_discord: FakeDiscord
) -> None:
    mod, alice = fake_discord.user("moderator"), fake_discord.user("alice")
    await mod.slash("admin modlog", options={"channel": "imagine"})
    await imagine(alice, "a nsfwword lighthouse")
    post = await fake_discord.wait_for_message(lambda m: "Midjourney refused" in m.text)
    assert alice.mention in post.text and "1 blocked" in post.text
    assert {b["label"] for b in post.buttons} == {"Ban 24 h", "Unban"}


async def test_an_allow_list_keeps_the_bot_to_listed_channels(
    bot: MJBot, fake_discord: FakeDiscord
) -> None:
    mod, alice = fake_discord.user("moderator"), fake_discord.user("alice")
    await mod.slash("admin channels allow", options={"channel": "imagine"})
    assert "channel" in await said(await imagine(alice, "a moth"))  # #general: not listed
    await run_job(alice, "a moth", channel="imagine")
    await mod.slash("admin channels everywhere")
    await run_job(alice, "a moth again")


async def test_click_policy_and_the_audit_pages(bot: MJBot, fake_discord: FakeDiscord) -> None:
    mod, alice, bob = (fake_discord.user(n) for n in ("moderator", "alice", "bob"))
    grid = await run_job(alice, "a shared lantern")
    assert "Only the person" in await said(await bob.click(grid, "U2"))
    await mod.slash("admin members clicks", policy="anyone")
    await bob.click(grid, "U2")
    await fake_discord.wait_for_message(lambda m: m.id != grid.id and final(m), timeout=20)
    for n in range(11):  # eleven more entries: the audit shows ten, then Older
        await mod.slash("admin limits cooldown", seconds=n)
    shown = await mod.slash("admin audit", options={"kind": "admin."})
    page = await shown.wait_for_message(lambda m: bool(m.buttons))
    assert page.text.count("`admin.limits`") == 10
    await mod.click(page, "Older")
    await fake_discord.wait_until(lambda: "`admin.clicks`" in page.text, what="the older page")


async def test_the_operator_sets_what_a_mode_and_a_button_cost(
    make_bot: Any, run_client: Any, fake_discord: FakeDiscord
) -> None:
    alice = fake_discord.user("alice")
    async with run_client(make_bot(cost_fast=2, action_costs={"upsample": 5})) as bot:
        grid = await run_job(alice, "a costly comet")
        await alice.click(grid, "U1")
        await fake_discord.wait_for_message(lambda m: m.id != grid.id and final(m), timeout=20)
        jobs = await bot.db.jobs.list_for_user(guild_id(fake_discord), alice.id)
        assert sorted((j.action, j.cost) for j in jobs) == [("", 2), ("upsample", 5)]
