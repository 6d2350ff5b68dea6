#!/usr/bin/env python3
"""Summarises a speedscope profile written by `dotnet-trace convert --format speedscope`: the frames with the most
samples, inclusive (the frame is on the stack) and exclusive (the frame is on top), over the threads that did work."""
import json
import sys
from collections import Counter

TOP = int(sys.argv[2]) if len(sys.argv) > 2 else 40

with open(sys.argv[1]) as f:
    profile = json.load(f)
names = [frame["name"] for frame in profile["shared"]["frames"]]

inclusive, exclusive, on_cpu, total = Counter(), Counter(), Counter(), 0
for thread in profile["profiles"]:
    if thread["type"] != "evented":
        continue
    stack, opened = [], {}
    for event in thread["events"]:
        if event["type"] == "O":
            stack.append(event["frame"])
            opened[len(stack)] = event["at"]
        else:
            start = opened[len(stack)]
            duration = event["at"] - start
            frame = stack.pop()
            # count a frame once per interval even when it recurses: only its outermost opening
            if frame not in stack:
                inclusive[frame] += duration
            if not any(True for _ in []):
                pass
    # exclusive: an interval's time minus its children's, computed in a second pass
    stack, opened, child = [], {}, {}
    for event in thread["events"]:
        if event["type"] == "O":
            stack.append(event["frame"])
            opened[len(stack)] = event["at"]
            child[len(stack)] = 0.0
        else:
            depth = len(stack)
            duration = event["at"] - opened[depth]
            frame = stack.pop()
            exclusive[frame] += duration - child[depth]
            # newer dotnet-trace versions end each sampled stack with a CPU_TIME frame: its time is its caller's work
            if names[frame] == "CPU_TIME" and stack:
                on_cpu[stack[-1]] += duration
            if depth > 1:
                child[depth - 1] += duration
            else:
                total += duration

# idle waits are not work
idle = ("WaitHandle", "Monitor.Wait", "Thread.Sleep", "LowLevelLifoSemaphore", "SocketAsyncEngine.EventLoop",
        "epoll_wait", "ManualResetEventSlim.Wait", "Interop+Sys.WaitForSocketEvents", "SemaphoreSlim.Wait",
        "UNMANAGED_CODE_TIME", "LowLevelSpinWaiter", "Thread.PollGC", "WaitOne", "WaitForSingleObject")
busy = total - sum(v for k, v in exclusive.items() if any(w in names[k] for w in idle))
if on_cpu:  # stacks marked CPU_TIME: only those are work, and the frame under the mark is the exclusive one
    exclusive, busy = on_cpu, sum(on_cpu.values())

def show(title, counter):
    print(f"\n{title} (% of busy samples; busy = {busy:.0f} of {total:.0f} ms)")
    for frame, value in counter.most_common(TOP * 3):
        name = names[frame]
        if any(w in name for w in idle):
            continue
        print(f"{100 * value / busy:6.1f}  {name[:150]}")
        show.count += 1
        if show.count >= TOP:
            break
    show.count = 0
show.count = 0

show("exclusive", exclusive)
show("inclusive", inclusive)
