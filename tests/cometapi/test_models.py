"""Parsing of the wire format: every fixture of mj-protocol.md §7, then tolerance."""

from __future__ import annotations

import json

import pytest

from bot.cometapi.models import (
    Button,
    SpeedMode,
    SubmitResult,
    Task,
    TaskAction,
    TaskStatus,
    most_advanced,
    parse_progress,
    split_describe_prompts,
)

# --- §7 fixtures, verbatim -----------------------------------------------------------------

IMAGINE_OK = (
    '{"code": 1, "description": "提交成功", "result": "1773314942177684", "properties": '
    '{"discordChannelId": "5e6ca8e1f40e4de6", "discordInstanceId": "5e6ca8e1f40e4de6"}}'
)
FETCH_OK = (
    '{"id": "1773314942177684", "status": "SUCCESS", "progress": "100%", "imageUrl": '
    '"https://api.cometapi.com/mj/image/1773314942177684", "videoUrl": "", "buttons": '
    '[{"customId": "MJ::JOB::upsample::1::example", "emoji": "", "label": "U1", "type": 2, '
    '"style": 1}]}'
)
IMAGINE_OLD = (
    '{"code": 1, "description": "Submit success", "properties": {}, "result": 1320098173412546}'
)
QUEUED = (
    '{"code": 22, "description": "排队中，前面还有1个任务", "result": "14001929738841620", '
    '"properties": {"numberOfQueues": 1, "discordInstanceId": "1118138338562560102"}}'
)
QUEUE_FULL = (
    '{"code": 23, "description": "队列已满，请稍后尝试", "result": "14001929738841620", '
    '"properties": {"discordInstanceId": "1118138338562560102"}}'
)
BANNED = '{"code": 24, "description": "可能包含敏感词", "properties": {"promptEn": "nude body", "bannedWord": "nude"}}'  # noqa: E501 (verbatim)
DESCRIBE = (
    '{"id": "14001929738841620", "action": "DESCRIBE", "status": "SUCCESS", "description": '
    '"/describe 14001929738841620.png", "imageUrl": '
    '"https://cdn.discordapp.com/attachments/xxx/xxx/14001929738841620.png", "properties": '
    '{"finalPrompt": "1️⃣ Cat --ar 5:4\\n\\n2️⃣ Cat2 --ar 5:4\\n\\n3️⃣ Cat3 --ar 5:4\\n\\n4️⃣ Cat4 '
    '--ar 5:4", "finalZhPrompt": "1️⃣ 猫 --ar 5:4\\n\\n2️⃣ 猫2 --ar 5:4\\n\\n3️⃣ 猫3 --ar 5:4\\n\\n'
    '4️⃣ 猫4 --ar 5:4"}}'
)
TASK_SECTION4 = """{
  "id": "1730621826053455", "action": "IMAGINE", "customId": "", "botType": "",
  "prompt": "pig --v 6.1", "promptEn": "pig --v 6.1", "description": "Submit success", "state": "",
  "submitTime": 1730621826053, "startTime": 1730621828024, "finishTime": 1730621855817,
  "imageUrl": "https://api.cometapi.com/mj/image/1730621826053455", "videoUrl": "",
  "status": "SUCCESS", "progress": "100%", "failReason": "",
  "buttons": [{"customId": "MJ::JOB::upsample::1::3785da15-4f70-4034-9128-f3ff1ac634fa",
               "emoji": "", "label": "U1", "type": 2, "style": 2}],
  "maskBase64": "", "properties": {"finalPrompt": "pig --v 6.1", "finalZhPrompt": ""}
}"""


def test_imagine_envelope() -> None:
    result = SubmitResult.from_dict(json.loads(IMAGINE_OK))
    assert result.code == 1
    assert result.description == "提交成功"
    assert result.task_id == "1773314942177684"
    assert result.properties["discordInstanceId"] == "5e6ca8e1f40e4de6"
    assert result.queue_ahead is None
    assert not result.is_modal


def test_numeric_result_is_stored_as_string() -> None:
    result = SubmitResult.from_dict(json.loads(IMAGINE_OLD))
    assert result.task_id == "1320098173412546"
    assert result.properties == {}


def test_queued_envelope_has_queue_position() -> None:
    result = SubmitResult.from_dict(json.loads(QUEUED))
    assert (result.code, result.queue_ahead, result.task_id) == (22, 1, "14001929738841620")


def test_rejected_envelopes() -> None:
    full = SubmitResult.from_dict(json.loads(QUEUE_FULL))
    assert full.code == 23
    banned = SubmitResult.from_dict(json.loads(BANNED))
    assert (banned.code, banned.task_id, banned.banned_word) == (24, None, "nude")


def test_fetch_fixture() -> None:
    task = Task.from_dict(json.loads(FETCH_OK))
    assert task.id == "1773314942177684"
    assert task.status is TaskStatus.SUCCESS
    assert task.progress == 100
    assert task.image_url == "https://api.cometapi.com/mj/image/1773314942177684"
    assert task.video_url == ""
    assert task.buttons == (Button("MJ::JOB::upsample::1::example", "", "U1", 1, 2),)
    assert task.action is TaskAction.UNKNOWN  # absent in the abridged fixture
    assert task.properties == {}


def test_full_task_object() -> None:
    task = Task.from_dict(json.loads(TASK_SECTION4))
    assert task.action is TaskAction.IMAGINE
    assert (task.prompt, task.prompt_en, task.final_prompt) == ("pig --v 6.1",) * 3
    assert (task.submit_time, task.start_time, task.finish_time) == (
        1730621826053,
        1730621828024,
        1730621855817,
    )
    assert task.buttons[0].custom_id.startswith("MJ::JOB::upsample::1::")
    assert task.buttons[0].style == 2
    assert task.description == "Submit success"
    assert task.raw["customId"] == ""


def test_describe_fixture() -> None:
    task = Task.from_dict(json.loads(DESCRIBE))
    assert task.action is TaskAction.DESCRIBE
    assert split_describe_prompts(task.final_prompt) == [
        "Cat --ar 5:4",
        "Cat2 --ar 5:4",
        "Cat3 --ar 5:4",
        "Cat4 --ar 5:4",
    ]
    assert split_describe_prompts(task.properties["finalZhPrompt"])[1] == "猫2 --ar 5:4"


def test_round_trip() -> None:
    task = Task.from_dict(json.loads(TASK_SECTION4))
    assert Task.from_dict(task.to_dict()) == task
    result = SubmitResult.from_dict(json.loads(QUEUED))
    assert SubmitResult.from_dict(result.to_dict()) == result


# --- tolerance ----------------------------------------------------------------------------


def test_fresh_task_before_first_upstream_poll() -> None:
    task = Task.from_dict(
        {"id": 1773314942177684, "status": "", "progress": "0%", "imageUrl": "", "buttons": None}
    )
    assert task.id == "1773314942177684"
    assert task.status is TaskStatus.EMPTY
    assert task.status.is_pending
    assert not task.status.is_terminal
    assert task.progress == 0
    assert task.buttons == ()


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"id": None, "status": None, "progress": None, "buttons": None, "properties": None},
        {
            "id": [],
            "status": 7,
            "progress": {},
            "buttons": "x",
            "properties": [],
            "submitTime": "x",
        },
        {"buttons": [None, 3, {"customId": None}, {"label": "no id"}], "imageUrls": 5},
        {"status": "WAITING_FOR_GODOT", "action": "TELEPORT", "newField": {"nested": [1, 2]}},
    ],
)
def test_never_crashes(data: dict[str, object]) -> None:
    task = Task.from_dict(data)
    assert task.buttons == ()
    assert task.submit_time == 0
    assert isinstance(task.to_dict(), dict)


def test_unknown_enums_keep_the_raw_string() -> None:
    task = Task.from_dict({"status": "waiting_for_godot", "action": "TELEPORT"})
    assert task.status is TaskStatus.UNKNOWN
    assert task.status_raw == "waiting_for_godot"
    assert task.status.is_pending  # keep polling until the bot's own deadline
    assert task.action is TaskAction.UNKNOWN
    assert task.action_raw == "TELEPORT"
    assert task.to_dict()["action"] == "TELEPORT"


def test_chinese_fail_reason_and_status_case() -> None:
    task = Task.from_dict(
        {"status": " failure ", "progress": "100%", "failReason": "上游任务超时（超过1小时）"}
    )
    assert task.status is TaskStatus.FAILURE
    assert task.fail_reason == "上游任务超时（超过1小时）"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("42%", 42),
        (" 42 % ", 42),
        ("42", 42),
        (42, 42),
        (42.7, 42),
        ("42.5%", 42),
        ("", None),
        ("%", None),
        (None, None),
        ("abc", None),
        (True, None),
        ("150%", 100),
        (-3, 0),
    ],
)
def test_progress_formats(raw: object, expected: int | None) -> None:
    assert parse_progress(raw) == expected


def test_numeric_strings_and_floats_in_times_and_codes() -> None:
    task = Task.from_dict({"submitTime": "1730621826053", "startTime": 1.5e12, "finishTime": -1})
    assert (task.submit_time, task.start_time, task.finish_time) == (
        1730621826053,
        1500000000000,
        0,
    )
    assert SubmitResult.from_dict({"code": "22", "result": 1.0e15}).code == 22
    assert SubmitResult.from_dict({"code": "22", "result": 1.0e15}).task_id == "1000000000000000"
    assert SubmitResult.from_dict({"code": 1, "result": ""}).task_id is None


def test_image_and_video_url_lists() -> None:
    task = Task.from_dict(
        {
            "image_urls": ["https://a/1.png", {"url": "https://a/2.png"}, {"nope": 1}, ""],
            "videoUrl": "https://v/0.mp4",
            "videoUrls": [{"url": "https://v/0.mp4"}, {"url": "https://v/1.mp4"}],
        }
    )
    assert task.image_urls == ("https://a/1.png", "https://a/2.png")
    assert task.all_video_urls == ("https://v/0.mp4", "https://v/1.mp4")
    camel = Task.from_dict({"imageUrls": [{"url": "https://a/3.png"}]})
    assert camel.image_urls == ("https://a/3.png",)


def test_final_prompt_falls_back_to_prompt_en() -> None:
    assert Task.from_dict({"promptEn": "a cat", "properties": None}).final_prompt == "a cat"
    assert Task.from_dict({"promptEn": "x", "properties": {"finalPrompt": ""}}).final_prompt == "x"


def test_button_emoji_object_and_defaults() -> None:
    button = Button.from_dict({"customId": "MJ::X", "emoji": {"name": "upscale_1", "id": "1"}})
    assert (button.emoji, button.label, button.style, button.type) == ("upscale_1", "", 2, 2)


def test_submit_result_extras() -> None:
    many = SubmitResult.from_dict({"code": 1, "result": "11,12, 13"})
    assert many.task_ids == ("11", "12", "13")
    assert SubmitResult.from_dict({"code": 21, "result": "5"}).is_modal
    assert (
        SubmitResult.from_dict({"code": 22, "properties": {"numberOfQueues": "3"}}).queue_ahead == 3
    )


@pytest.mark.fault(11)
def test_status_rank_and_most_advanced() -> None:
    order = [
        TaskStatus.MODAL,  # the stale row after a modal: lowest
        TaskStatus.EMPTY,
        TaskStatus.NOT_START,
        TaskStatus.SUBMITTED,
        TaskStatus.IN_PROGRESS,
        TaskStatus.SUCCESS,
    ]
    assert [s.rank for s in order] == sorted(s.rank for s in order)
    assert len({s.rank for s in order}) == len(order)
    assert TaskStatus.FAILURE.is_terminal
    assert TaskStatus.CANCEL.is_terminal
    assert not TaskStatus.MODAL.is_pending
    assert TaskStatus.MODAL.is_modal
    stale = Task(id="1", status=TaskStatus.MODAL)
    fresh = Task(id="1", status=TaskStatus.EMPTY, progress=0)
    assert most_advanced(stale, fresh) is fresh  # before the gateway's first poll of the new row
    running = Task(id="1", status=TaskStatus.IN_PROGRESS, progress=10)
    further = Task(id="1", status=TaskStatus.IN_PROGRESS, progress=60)
    assert most_advanced(most_advanced(None, stale), running) is running
    assert most_advanced(running, stale) is running
    assert most_advanced(running, further) is further
    assert most_advanced(further, running) is further


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1️⃣ A\n\n2️⃣ B\n\n3️⃣ C\n\n4️⃣ D", ["A", "B", "C", "D"]),
        ("1️⃣ A\r\n\r\n2️⃣ B\r\n3️⃣ C\r\n\r\n4️⃣ D\r\n", ["A", "B", "C", "D"]),
        ("A --ar 1:1\nB\n\n  \nC\nD", ["A --ar 1:1", "B", "C", "D"]),
        ("1\u20e3 no variation selector\n", ["no variation selector"]),
        ("  2️⃣   padded  ", ["padded"]),
        ("5️⃣ five stays", ["5️⃣ five stays"]),
        ("", []),
    ],
)
def test_split_describe_prompts(text: str, expected: list[str]) -> None:
    assert split_describe_prompts(text) == expected


def test_speed_mode_prefixes() -> None:
    assert [m.prefix for m in SpeedMode] == ["/mj-fast", "/mj-turbo", "/mj-relax"]
    assert SpeedMode("turbo").account_mode == "TURBO"
