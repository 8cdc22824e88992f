"""Component ids, in one place, so layouts, callbacks and assets agree.

The scripts never write an id: a page hands its script `for_script(prefix)`
in its config, the ids by name (WALL_TICKER_OVERFLOW → "ticker_overflow"),
and the script looks elements up by those names (PageUtil.lookup)."""

WALL_CONFIG = "wall-config"          # dcc.Store: unit, lang, labels, ids for assets/wall.js
WALL_STARTED = "wall-started"        # dcc.Store written by the clientside init
WALL_ROOT = "wall-root"
WALL_CLOCK = "wall-clock"
WALL_DATE = "wall-date"
WALL_BADGE = "wall-connection"
WALL_LAST_AGE = "wall-last-age"
WALL_NOTICE = "wall-notice"
WALL_KPIS = "wall-kpis"
WALL_TICKER = "wall-ticker"
WALL_TICKER_OVERFLOW = "wall-ticker-overflow"   # "+N 条": lines that went by unread
WALL_OPEN_ITEMS = "wall-open-items"
WALL_BANNER = "wall-banner"
WALL_MUTE = "wall-mute"
WALL_DRILL = "wall-drill"            # the 演练 DRILL marker
WALL_REFUSED = "wall-refused"        # a revoked or missing screen link
WALL_MAP = "wall-map"                # dcc.Graph, figure set by assets/wall_map.js
WALL_LEAGUE = "wall-league"
WALL_ITEMS_MORE = "wall-items-more"
WALL_ALERTS_MORE = "wall-alerts-more"
WALL_ITEMS_EMPTY = "wall-items-empty"
WALL_ALERTS = "wall-alerts"
WALL_ALERTS_EMPTY = "wall-alerts-empty"
WALL_PATROL_ACTIVE = "wall-patrol-active"
WALL_PATROL_COVER = "wall-patrol-cover"
WALL_PATROL_LATE = "wall-patrol-late"
WALL_PATROL_LIST = "wall-patrol-list"
WALL_MED_OVERDUE = "wall-med-overdue"
WALL_MED_SUCCESS = "wall-med-success"
WALL_MED_LIST = "wall-med-list"


def wall_med_channel(channel: str) -> str:
    """Open mediations of one channel (people, administrative, judicial); the script's name for it
    is "med_<channel>"."""
    return f"wall-med-{channel}"


def for_script(prefix: str, **more: str) -> dict[str, str]:
    """The ids named `prefix`_* by the names a page's script uses for them (the rest of the
    constant's name in lower case), plus `more`."""
    return {name[len(prefix) + 1:].lower(): value for name, value in globals().items()
            if name.startswith(prefix + "_") and isinstance(value, str)} | more

CONSOLE_CONFIG = "console-config"
CONSOLE_STARTED = "console-started"
CONSOLE_BADGE = "console-connection"
CONSOLE_FILTER_PENDING = "console-filter-pending"
CONSOLE_FILTER_ALL = "console-filter-all"
CONSOLE_MESSAGE = "console-message"
CONSOLE_ROWS = "console-rows"
CONSOLE_EMPTY = "console-empty"
CONSOLE_NOTIFY = "console-notify"
CONSOLE_CLOCK = "console-clock"
CONSOLE_SELECTED = "console-selected"
CONSOLE_BULK_NOTE = "console-bulk-note"
CONSOLE_BULK_ACK = "console-bulk-ack"
CONSOLE_BULK_RESOLVE = "console-bulk-resolve"
CONSOLE_SUMMARY = "console-summary"
