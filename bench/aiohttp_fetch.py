"""The asyncio lesson's fetcher, as users write it: one shared ClientSession,
a TCPConnector(limit=C), asyncio.gather over every URL, and one JSON record
per response written to a file. Usage: aiohttp_fetch.py URLS C OUT"""
import asyncio
import json
import sys
import time

import aiohttp


async def fetch(session, url):
    started = time.time()
    try:
        async with session.get(url) as resp:
            body = await resp.read()
            try:
                parsed = json.loads(body)
            except ValueError:
                parsed = body.decode("utf-8", "replace")
            return {"url": url, "ok": 200 <= resp.status < 300, "status": resp.status,
                    "elapsed_ms": (time.time() - started) * 1000, "bytes": len(body), "body": parsed}
    except Exception as e:  # errors as values, as gather(return_exceptions=True) would
        return {"url": url, "ok": False, "error": repr(e)}


async def main(urls_path, limit, out_path):
    with open(urls_path) as f:
        urls = [line.strip() for line in f if line.strip()]
    connector = aiohttp.TCPConnector(limit=limit)
    timeout = aiohttp.ClientTimeout(total=None)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        results = await asyncio.gather(*(fetch(session, u) for u in urls))
    with open(out_path, "w") as out:
        for r in results:
            out.write(json.dumps(r) + "\n")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), sys.argv[3]))
