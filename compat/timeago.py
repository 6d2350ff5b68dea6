"""A stand-in for the `timeago` package (not served by the registries here), which the official client imports to
print "3 minutes ago" in its tables. Only `format(date, now)` is used."""


def format(date, now=None, locale='en'):
    seconds = int((now - date).total_seconds()) if now is not None else 0
    for unit, size in (('day', 86400), ('hour', 3600), ('minute', 60)):
        if abs(seconds) >= size:
            count = abs(seconds) // size
            text = '{} {}{}'.format(count, unit, '' if count == 1 else 's')
            return text + (' ago' if seconds >= 0 else ' from now')
    return 'just now'
