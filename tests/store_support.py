"""Counting the work SQLite does: virtual machine steps, which depend neither on the machine
nor on its load (tests compare them where a timing would be noise)."""

STEP = 10  # the handler runs every STEP virtual machine instructions


def vm_steps(store, work) -> int:
    """How many times STEP instructions SQLite ran for ``work()`` on ``store``'s connection."""
    counted = [0]

    def count():
        counted[0] += 1
        return 0  # go on

    store.db.conn.set_progress_handler(count, STEP)
    try:
        work()
    finally:
        store.db.conn.set_progress_handler(None, STEP)
    return counted[0]
