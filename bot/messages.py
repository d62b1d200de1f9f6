"""Every sentence a user can read, in one place.

`say(key, **fields)` formats one. Keys are stable identifiers used by errors and services;
the Discord side never builds user-facing text anywhere else.
"""

from __future__ import annotations

from typing import Final

SENTENCES: Final[dict[str, str]] = {
    # Start-up and settings
    "startup.simulator": (
        "No COMETAPI_KEY is set: using the built-in CometAPI simulator (images are generated "
        "locally, nothing is charged)."
    ),
    "startup.bad_token": "Discord refused DISCORD_TOKEN: copy the token again from the "
    "Developer Portal (your application → Bot → Reset Token) into .env.",
    "startup.intents": "Discord refused the bot's intents: enable the privileged intents it "
    "asks for in the Developer Portal (your application → Bot → Privileged Gateway Intents).",
    "startup.web_port": "The bot's web server cannot listen on {where} ({error}): set "
    "WEB_PORT to a free port.",
    "startup.offline": "Discord is unreachable ({error}); trying again in {seconds} s.",
    "playground.ready": "Playground: open {url} — the bot with a local Discord and the "
    "built-in simulator, no account needed (Ctrl-C stops it).",
    "playground.ready_cometapi": "Playground: open {url} — the bot with a local Discord and "
    "your CometAPI key: jobs are charged (Ctrl-C stops it).",
    "playground.no_token": "DISCORD_TOKEN is not set: starting the playground instead (set it "
    "in .env to run the bot on Discord).",
    "playground.port": "The playground cannot listen on port {port} ({error}): set "
    "PLAYGROUND_PORT to a free port, or pass --port.",
    # Input checks (before anything is charged)
    "prompt.empty": "Your prompt is empty: describe what you want to see.",
    "prompt.too_long": "Your prompt is {length} characters long; the limit is {limit}.",
    "prompt.banned": "Your prompt was blocked because it contains “{word}”. Nothing was charged.",
    "prompt.bad_param": "The parameter {param} is not valid: {why}.",
    "prompt.too_many_jobs": "This prompt would start {count} jobs ({how}); this server allows "
    "at most {limit} per command. Nothing was charged.",
    "prompt.one_job_per_command": "This prompt would start {count} jobs ({how}); the bot runs "
    "one job per command. Send the variants one at a time. Nothing was charged.",
    "prompt.nsfw_channel": "That prompt can only be used in an age-restricted channel.",
    "prompt.nsfw_blocked": "This server does not allow NSFW prompts. Nothing was charged.",
    "image.rejected": "The image “{name}” could not be used: {why}.",
    "image.too_many": "Attach at most {limit} reference images.",
    "image.not_an_image": "it is not an image",
    "image.unsupported_format": "use PNG, JPEG, WebP or GIF",
    "image.too_large_bytes": "the file is too large",
    "image.too_many_pixels": "its dimensions are too large",
    "image.too_many_frames": "it has too many frames",
    "image.truncated": "the file is cut short",
    "image.empty": "the file is empty",
    "image.corrupt": "the file is damaged",
    "mask.not_an_image": "That file is not an image. Upload a PNG or JPEG mask.",
    "mask.wrong_aspect": "The mask's shape does not match the image; use the same aspect ratio.",
    "mask.empty": "The mask marks nothing: paint the area to change in white (or a bright colour).",
    "mask.full": "The mask marks the whole image: leave some of it black to keep.",
    "channel.not_allowed": "This channel is not set up for the bot. Ask a moderator where to "
    "use it.",
    "mode.relax_off": "Relax mode is not enabled here; use fast or turbo.",
    "mode.unknown": "“{mode}” is not a speed mode; use fast or turbo.",
    "dm.off": "Images can't be made in direct messages with this bot. Use it in a server.",
    "member.banned": "You can't use this bot on this server. Ask a moderator if you think "
    "this is a mistake.",
    # Job lifecycle
    "job.queued": "Queued: {ahead} job(s) ahead, starting in about {eta}.",
    "job.starting": "Starting…",
    "job.waiting": "Waiting to start…",
    "job.running": "Working… {progress}%",
    "job.done": "Done in {seconds}s.",
    "job.failed": "This job failed: {reason}. Nothing was charged.",
    "job.timed_out": "This job took too long and was stopped. Nothing was charged.",
    "job.lost": "CometAPI never confirmed this job, so your charge was given back. If it "
    "turns up later, it will appear here for free.",
    "job.done_free": "Done in {seconds}s. It arrived late, so it is free.",
    "job.result_link": "Done in {seconds}s. I couldn't attach the result here, so here is "
    "its link: {url}",
    "job.result_unusable": "The job finished, but its result can't be shown ({reason}). "
    "Your charge was given back.",
    "result.not_media": "it is not an image or a video",
    "result.unavailable": "it could not be downloaded",
    "job.delayed": "CometAPI is slow to answer; your job is still being tracked.",
    "job.not_found": "I can't find job {job_id}.",
    "job.not_yours": "That job belongs to someone else.",
    "job.none_running": "You have no running jobs.",
    "job.still_running": "Job {job_id} is still running; its message updates where it is.",
    # Buttons and modals
    "button.expired": "This button has expired. Run the command again.",
    "button.claimed": "That was already requested.",
    "batch.confirm": "This prompt starts **{count} jobs** at {each} credit(s) each: **{total} "
    "credits** in all. Nothing is charged until you press Start.",
    "batch.more": "…and {count} more.",
    "batch.start": "Start {count} jobs",
    "batch.starting": "Starting…",
    "batch.started": "Started {count} of {total} jobs.",
    "batch.cancelled": "Cancelled: nothing was started or charged.",
    "history.empty": "You have no jobs here yet. Start one with /imagine.",
    "history.empty_kind": "You have no {kind} jobs here yet.",
    "history.page": "Page {page} of {pages} · {count} jobs · pick a number below to open one",
    "history.not_yours": "This gallery belongs to the member who opened it. Run /history to see "
    "your own jobs.",
    "history.gone": "That job is no longer in this gallery. Run /history again.",
    "settings.title": "**Your defaults** (what you type, and a prompt's own parameters, win):",
    "settings.line": "{name}: {value}",
    "settings.default": "the server's",
    "settings.none": "none",
    "settings.bad": "That can't be saved: {why}.",
    "prefer.taken": "--{name} is a Midjourney parameter: pick another name.",
    "prefer.saved": "Saved: --{name} in a prompt now means {value}.",
    "prefer.removed": "--{name} was removed.",
    "prefer.none": "No option sets yet: /prefer option name:mine value:--ar 3:2 --s 300.",
    "describe.one_source": "Give an image to describe: attach one, or give its web address "
    "(https://…), not both.",
    "describe.running": "Reading your image…",
    "shorten.tokens": "Important tokens:",
    "shorten.title": "Imagine this prompt",
    "refused.typed": "What you typed, to copy: {text}",
    "shorten.pick": "Press a number to edit that prompt, then imagine it.",
    "job.retry_hint": "🔄 Try again runs it once more as a new job (charged as a new one).",
    "button.on_its_way": "That's already on its way: its message appears in a moment.",
    "button.double_click": "You just pressed that: here it is → {link}",
    "button.upscaled": "That image was upscaled already: {link}",
    "button.denied": "Only the person who started this job (or a moderator) can use its buttons.",
    "button.refused": "CometAPI does not offer “{label}” for this image. Nothing was charged.",
    "region.choose": "🖌️ **Vary (Region)**: how do you want to mark the area to change? "
    "Nothing is charged until you confirm.",
    "region.paint": "Tap the cells to change (tinted; green = partly), or start from a shape. "
    "For finer cells, pick Refine in the menu. Then press Continue. Selected: {cells}.",
    "region.paint_zoom": "Refining {cell}: tap its 9 smaller cells (tinted = change). Pick Whole "
    "image in the menu to go back, or press Continue. Selected: {cells}.",
    "region.zoom_in": "Refine {cell}",
    "region.zoom_out": "Whole image",
    "region.full": "Every cell is selected: leave some cells unselected, or use Vary (Strong) "
    "to change the whole image.",
    "region.empty": "No cell is selected yet: tap the cells to change, or start from a shape.",
    "region.paint_none": "none yet",
    "region.confirm": "This is the area I will change (tinted; the dimmed part is kept). "
    "Confirm to start the job, or Cancel.",
    "region.started": "On it: the Vary (Region) job was started under the image.",
    "region.cancelled": "Cancelled; nothing was charged. Upload another mask or paint the area.",
    "region.nothing_staged": "There is no uploaded mask to confirm. Upload it again.",
    "region.read_failed": "I could not read the uploaded file. Try uploading it again.",
    "region.way_paint": "Paint here",
    "region.way_upload": "Upload a mask",
    "region.way_web": "Web editor",
    "region.invert": "Invert",
    "region.clear": "Clear",
    "region.grow": "Grow",
    "region.shrink": "Shrink",
    "region.continue": "Continue",
    "region.confirm_button": "Confirm",
    "region.cancel_button": "Cancel",
    "region.preset_placeholder": "Refine a cell, or start from a shape…",
    "region.preset.centre": "Centre",
    "region.preset.left": "Left half",
    "region.preset.right": "Right half",
    "region.preset.top": "Top half",
    "region.preset.bottom": "Bottom half",
    "region.preset.oval": "Centred oval",
    "region.modal_title": "Vary (Region)",
    "region.upload_title": "Vary (Region): upload a mask",
    "region.upload_label": "Mask or painted copy",
    "region.upload_hint": "Black and white (white = change), or the image painted over in a "
    "bright colour.",
    "region.prompt_hint": "What to put in the marked area; empty keeps the image's prompt.",
    "region.session_gone": "This Vary (Region) editor has closed. Press 🖌️ Vary (Region) again.",
    "region.web_done": "Done — your new job is in Discord.",
    "region.link_bad": "This editor link is not valid. Press 🖌️ Vary (Region) again.",
    "region.expired": "That Vary (Region) request expired upstream. Start Vary Region again; "
    "your charge was given back.",
    "edit.choose": "✏️ **Edit**: mark the part of your image to redraw with “{prompt}”. "
    "How do you want to mark it? Nothing is charged until you confirm.",
    "edit.full": "Every cell is selected: leave some of the image unselected, or use /imagine "
    "with your image as a reference to change all of it.",
    "edit.started": "On it: your edit was started in this channel.",
    "edit.started_private": "On it: your edit was started; only you can see it.",
    "edit.modal_title": "Edit your image",
    "edit.upload_title": "Edit: upload a mask",
    "edit.prompt_hint": "What to put in the marked area.",
    "edit.no_prompt": "Say what to put in the marked area: the prompt cannot be empty.",
    "edit.session_gone": "This editor has closed. Use /edit again with your image.",
    "zoom.invalid": "The zoom must be a number above 1 and at most 2, like --zoom 1.5.",
    "modal.prompt_label": "Prompt",
    "modal.expired": "This form expired (the bot restarted or time ran out). Press the button "
    "again; nothing was charged.",
    "settings.remix": "Remix is {state}: with it on, Vary, pan and reroll ask for a new prompt.",
    # Upstream problems (not charged)
    "upstream.busy": "Midjourney is busy right now. Try again in a minute. Nothing was charged.",
    "upstream.unreachable": "CometAPI is unreachable right now. Nothing was charged.",
    "upstream.auth": "The CometAPI key was refused. An admin needs to check it.",
    "upstream.rejected": "CometAPI refused the job: {description}. Nothing was charged.",
    "upstream.banned": "Midjourney blocked the prompt (“{word}”). Nothing was charged.",
    "upstream.rate_limited": "CometAPI asked us to slow down; your job is queued.",
    "admin.denied": "Only members with the Manage Server permission can change the bot's "
    "settings here. Nothing was changed.",
    "admin.saved": "Saved: {what}.",
    "admin.bad_value": "That value can't be used: {why}. Nothing was changed.",
    "admin.ban_days": "A ban lasts from a quarter of an hour to {most} days; leave days empty "
    "to ban until unbanned.",
    "admin.ban_self": "You can't ban yourself from the bot.",
    "admin.banned": "Banned: {line}.",
    "admin.unbanned": "{user} can use the bot again.",
    "admin.not_banned": "{user} wasn't banned.",
    "admin.no_bans": "Nobody is banned from the bot here.",
    "admin.refunded": "Job {job_id} was refunded.",
    "admin.not_refunded": "Job {job_id} had no charge to give back (or was refunded already).",
    "admin.audit_empty": "Nothing recorded yet.",
    "admin.audit_end": "That was the oldest entry.",
    "admin.what_allowed": "the bot works in {channel} (and the other listed channels only)",
    "admin.what_removed": "{channel} is off the list of channels the bot works in",
    "admin.what_everywhere": "the bot works in every channel",
    "admin.what_channel_reset": "{channel} uses the server's defaults again",
    "admin.what_daily": "jobs per member per day: {value}",
    "admin.what_concurrent": "jobs at once per member: {value}",
    "admin.what_cooldown": "cooldown between a member's jobs: {value} s",
    "admin.what_role": "{role} may start {value} jobs a day",
    "admin.what_role_removed": "{role} follows the server's daily limit again",
    "admin.what_budget": "monthly budget: {value}",
    "admin.what_clicks": "who may press a job's buttons: {value}",
    "admin.what_private": "jobs private by default: {value}",
    "admin.what_modlog": "moderation events go to {channel}",
    "key.saved": "This server's CometAPI key ({hint}) was checked with CometAPI and saved, "
    "encrypted. Jobs here now use it, and don't count against the bot owner's budget.",
    "key.removed": "This server's own key was removed: jobs here use the bot's key again.",
    "key.status_none": "No key of its own: jobs here use the bot's key.",
    "key.status_disabled": "Server keys are off on this bot (its operator has not set MASTER_KEY).",
    "key.status_set": "Key {hint} is set and readable; last used {used}",
    "modlog.budget": "{where} budget is {percent} % used: {spent} of {budget} credits this month.",
    "modlog.budget_full": "{where} budget is used up ({spent} of {budget} credits this month): "
    "new jobs are refused until next month, unless a moderator raises it.",
    "limit.concurrent": "You already have {limit} job(s) running here, the most this server "
    "allows at once. Try again when one finishes. Nothing was charged.",
    "limit.cooldown": "This server asks members to wait between jobs: your next one can start "
    "<t:{reset}:R>. Nothing was charged.",
    "quota.channel": "This channel has used its monthly budget; it starts again <t:{reset}:R>. "
    "A moderator can raise it. Nothing was charged.",
    "modlog.hit_word": "{user}'s prompt was blocked for “{detail}” ({count} blocked in the "
    "last day).",
    "modlog.hit_upstream": "Midjourney refused {user}'s prompt ({detail}); {count} blocked in "
    "the last day.",
    "modlog.timed_out": "The bot timed them out for {minutes} minutes.",
    "modlog.timeout_failed": "The bot could not time them out: give it the Timeout Members "
    "permission (it never times out the owner or admins).",
    "admin.too_many_words": "A server can ban at most {most} words or phrases (besides the "
    "default list). Nothing was changed.",
    "admin.words_added": "Banned here now: {count} words or phrases, besides the default list.",
    "admin.words_list": "Banned on this server ({count}): {words}",
    "admin.words_none": "This server bans no words of its own; the default list applies.",
    "admin.words_imported": "Imported: the server now bans {count} words or phrases.",
    "admin.words_skipped": "Skipped {count} line(s): {lines}",
    "admin.what_escalation": "after {count} blocked prompts in a day a member is timed out for "
    "{minutes} minutes",
    "admin.what_escalation_off": "blocked prompts are reported, no timeouts",
    "admin.usage": "Last {days} days: {jobs} jobs, {net} credits spent, {refunded} refunded.",
    "wordlist.too_big": "That file is {size_kb} KB; a word list can be at most {limit_kb} KB. "
    "Nothing was changed.",
    "wordlist.not_text": "That file isn't plain text. Save it as UTF-8 (or UTF-16) text with one "
    "word or phrase per line. Nothing was changed.",
    "wordlist.reason.too_long": "line {line} (“{text}”): at most 100 characters",
    "wordlist.reason.no_letters": "line {line} (“{text}”): no letters or digits",
    "wordlist.reason.over_limit": "line {line} (“{text}”): over 1000 entries",
    "admin.bad_number": "“{value}” is not a whole number ({label}). Nothing was changed.",
    "admin.nothing_given": "Nothing to change: give at least one option.",
    "admin.what_turbo": "turbo is for {role} (and moderators) only",
    "admin.what_turbo_all": "anyone may use turbo",
    "admin.what_max_jobs": "one prompt may start at most {value} jobs",
    "admin.what_nsfw": "adult terms in prompts: {value}",
    "mode.turbo_roles": "Turbo is kept for {roles} on this server; use fast or relax. Nothing "
    "was charged.",
    "key.required": "This bot only works on servers that bring their own CometAPI key: an admin "
    "can set one with /admin key set. Nothing was charged.",
    "info.used": "{used} of {limit} credits ({left} left)",
    "info.unlimited": "{used} credits (no daily limit)",
    "info.budget": "{spent} of {budget} credits spent ({left} left)",
    "info.concurrent": "at most {limit} job(s) running",
    "info.cooldown": "wait {seconds} s",
    "kit.unknown": "This server has no style kit called “{name}”. Nothing was charged.",
    "kit.bad_name": "A kit's name is 1 to {most} characters: letters, digits, spaces, - or _.",
    "kit.too_long": "Too long: {length} characters in the kit's {field}; the limit is {limit}.",
    "kit.params_text": "A kit's parameters are --name value pairs only: “{text}” is not one. "
    "Put words in the kit's suffix.",
    "kit.unknown_param": "A kit can't set {param}: it takes style parameters such as --sref, "
    "--stylize, --ar or --v.",
    "kit.duplicate_param": "The kit sets {param} twice (maybe under another spelling): keep one.",
    "kit.suffix_params": "The suffix is plain words: put {param} in the kit's parameters instead.",
    "kit.empty": "A kit needs parameters, a suffix, or both.",
    "kit.multiplies": "A kit can't contain {how}: every use would start {count} jobs.",
    "kit.too_many": "This server already has {most} kits: remove one before adding another.",
    "kit.saved": "Style kit “{name}” is published: members pick it with the kit option of "
    "/imagine.",
    "kit.removed": "Style kit “{name}” was removed.",
    "kit.none": "This server has no style kits yet: /admin kits add publishes one.",
    "admin.deleted": "The result of job {job_id} was deleted.",
    "admin.not_deleted": "The bot couldn't delete the result of job {job_id} (it may lack the "
    "Manage Messages permission there).",
    "report.sent": "Thanks: the moderators were told about this result.",
    "report.no_modlog": "This server has no mod-log channel: tell a moderator directly.",
    "report.not_a_job": "That isn't a result of this bot: only its job messages can be reported.",
    "modlog.report": "{user} reported job {job_id} by {owner} ({link}).",
    "modlog.setting": "{user} changed a setting: {what}.",
    "modlog.ban": "{user} banned {line}.",
    "modlog.unban": "{user} lifted the ban on {target}.",
    "modlog.key_set": "{user} set this server's own CometAPI key.",
    "modlog.key_removed": "{user} removed this server's own CometAPI key.",
    "key.no_master": "Server keys are off on this bot: its operator must set MASTER_KEY first.",
    "key.invalid_format": "That doesn't look like a CometAPI key (no spaces, 8 to 200 "
    "characters). It was not saved.",
    "key.rejected": "CometAPI refused that key. It was not saved; check it in your CometAPI "
    "dashboard.",
    "key.unverified": "CometAPI didn't answer, so the key could not be checked. It was not "
    "saved; try again in a minute.",
    "key.unreadable": "This server's own CometAPI key can't be read any more (the bot's "
    "MASTER_KEY changed). An admin must set the key again. Nothing was charged.",
    "quota.user": "You have reached this server's daily job limit ({limit}). The next job "
    "frees up <t:{reset}:R>. Nothing was charged.",
    "quota.dm": "You have reached the daily limit for direct-message jobs ({limit}). The next "
    "one frees up <t:{reset}:R>. Nothing was charged.",
    "quota.guild": "This server has used its monthly budget; it starts again <t:{reset}:R>. "
    "A moderator can raise it. Nothing was charged.",
    "busy": "The bot is very busy right now. Try again in a moment. Nothing was charged.",
    "internal": "Something went wrong on our side. Nothing was charged.",
}


# Upstream failReason texts (often Chinese, mj-protocol §4) in words a user can act on.
FAIL_REASONS: Final[dict[str, str]] = {
    "可能包含敏感词": "Midjourney thinks the prompt may contain banned words",
    "banned prompt": "Midjourney blocked the prompt",
    "image denied": "Midjourney refused the image",
    "执行超时": "it took too long upstream",
    "任务提交超时": "the upstream did not accept it in time",
    "上游任务超时": "it took over an hour upstream",
    "timed out": "it took too long",
    "the submit was lost": "CometAPI never confirmed it",
    "the task is unknown upstream": "CometAPI lost track of it",
}


# Why CometAPI's gateway refused a submit (its `description` codes, mj-protocol §2).
UPSTREAM_REASONS: Final[dict[str, str]] = {
    "quota_not_enough": "the bot's CometAPI account is out of credit (an admin must top it up)",
    "prompt_is_required": "the prompt is empty",
    "task_not_found": "the image this button belongs to is no longer known upstream",
    "task_no_found": "the image this button belongs to is no longer known upstream",
    "task_status_not_success": "the image this button belongs to is not finished upstream",
    "队列已满": "Midjourney's queue is full",
}


def _in_words(raw: str | None, known: dict[str, str], missing: str) -> str:
    text = (raw or "").strip()
    lowered = text.casefold()
    for needle, words in known.items():
        if needle.casefold() in lowered:
            return words
    return text[:300] or missing


def upstream_reason(raw: str | None) -> str:
    """A refusal's description in plain words; unknown ones shown as they came."""
    return _in_words(raw, UPSTREAM_REASONS, "no reason given")


def fail_reason(raw: str | None) -> str:
    """A failReason in plain words; unknown ones are shown as they came."""
    return _in_words(raw, FAIL_REASONS, "unknown")


def say(key: str, **fields: object) -> str:
    """The sentence for `key` with its fields filled in."""
    template = SENTENCES.get(key, SENTENCES["internal"])
    try:
        return template.format(**fields)
    except (KeyError, IndexError):
        return template
