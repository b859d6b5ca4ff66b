"""desktop.worker: long work off the GUI thread, signals back on it, errors and cancel."""

from __future__ import annotations

import threading

from db.engine import StoreError
from desktop.worker import run_in_background


def test_result_arrives_in_the_gui_thread(qtbot):
    seen: dict[str, object] = {}

    def work(progress):
        seen["worker_thread"] = threading.current_thread()
        progress("一半", 0.5)
        return 42

    job = run_in_background(work)
    steps: list[tuple[str, float, bool]] = []
    job.progress.connect(lambda m, f: steps.append((m, f, threading.current_thread() is threading.main_thread())))
    job.finished.connect(lambda r: seen.update(result=r, thread=threading.current_thread()))
    with qtbot.waitSignal(job.finished, timeout=5000):
        pass
    assert seen["result"] == 42
    assert seen["thread"] is threading.main_thread()
    assert seen["worker_thread"] is not threading.main_thread()
    assert steps == [("一半", 0.5, True)]
    assert job.is_done


def test_expected_errors_arrive_as_their_message(qtbot):
    def work(_progress):
        raise StoreError("数据库文件已损坏：x.db")

    job = run_in_background(work)
    with qtbot.waitSignal(job.failed, timeout=5000) as blocker:
        pass
    assert blocker.args == ["数据库文件已损坏：x.db"]


def test_unexpected_errors_are_reported_not_swallowed(qtbot, caplog):
    def work(_progress):
        return 1 / 0

    job = run_in_background(work)
    with qtbot.waitSignal(job.failed, timeout=5000) as blocker:
        pass
    assert blocker.args[0].startswith("内部错误：ZeroDivisionError")
    assert "Traceback" in caplog.text


def test_cancel_stops_the_work_at_its_next_progress_call(qtbot):
    started = threading.Event()
    release = threading.Event()
    reached: list[int] = []

    def work(progress):
        started.set()
        release.wait(5)
        for step in range(100):
            progress(f"第 {step} 步", step / 100)
            reached.append(step)
        return "done"

    job = run_in_background(work)
    finished: list[object] = []
    job.finished.connect(finished.append)
    assert started.wait(5)
    job.cancel()
    release.set()
    with qtbot.waitSignal(job.cancelled, timeout=5000):
        pass
    assert reached == [] and finished == []


def test_progress_fraction_is_clamped(qtbot):
    job = run_in_background(lambda progress: (progress("x", 7.0), progress("y", -1))[0])
    fractions: list[float] = []
    job.progress.connect(lambda _m, f: fractions.append(f))
    assert job.wait(5000)
    assert fractions == [1.0, 0.0]


def test_wait_returns_after_the_job_ended(qtbot):
    job = run_in_background(lambda _p: "ok")
    assert job.wait(5000) and job.is_done



def test_no_garbage_collection_while_a_job_runs(qtbot):
    """A collection in a pool thread could free GUI-thread Qt objects left in cycles: the
    collector is held off while any job runs and back on when the last one ends."""
    import gc

    assert gc.isenabled()
    job = run_in_background(lambda _progress: gc.isenabled())
    with qtbot.waitSignal(job.finished, timeout=5000) as blocker:
        pass
    assert blocker.args == [False]
    qtbot.waitUntil(gc.isenabled, timeout=5000)


def test_gc_pauses_nest_across_threads():
    import gc

    from db.gc_pause import gc_paused

    inside = threading.Event()
    leave = threading.Event()

    def other():
        with gc_paused():
            inside.set()
            leave.wait(5)

    thread = threading.Thread(target=other)
    with gc_paused():
        thread.start()
        inside.wait(5)
    assert not gc.isenabled()  # the other thread's pause still holds
    leave.set()
    thread.join(5)
    assert gc.isenabled()
