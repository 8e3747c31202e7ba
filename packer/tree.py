"""The directory tree shown at the head of a pack, and its exact token cost.

Every packable file appears once: as a line of its expanded directory, or folded into
the one-line summary of a directory with nothing packed. A directory holding more than
`list_limit` files of its own lists only its packed ones when expanded, then one line
for the rest: packing one file of a 50,000-file directory must not cost 50,000 lines.
A line's text depends only on its node and state, so the fitter asks for the exact cost
change of packing a file (`delta`) before committing to it (`apply`). Lines are `tree`-style; each is its own
render block, so the tree's cost is the sum of its lines' costs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from packer.records import FileInfo, Mode
from packer.render import display_path

LIST_LIMIT = 256
SHORT_LIST_LIMIT = 16  # when listing every file would take more than a tenth of the budget
LINE_TOKENS = 12  # about what one file line costs ("│   ├── name.ext [listed 1,234]")


def list_limit(files: int, budget: int | None) -> int:
    """How many files of its own an expanded directory may list one by one.

    A tree that could list every file for a tenth of the budget lists them (`LIST_LIMIT`
    per directory); a larger repository lists a directory's unpacked files only when it has
    at most `SHORT_LIST_LIMIT`: packing one header of a 100-file directory of a 78K-file
    tree must not cost 100 lines, when the budget they take could hold files.
    """
    if budget is None or files * LINE_TOKENS <= budget // 10:
        return LIST_LIMIT
    return SHORT_LIST_LIMIT


@dataclass(eq=False)
class DirNode:
    name: str
    path: str  # "" for the root, else "a/b/"
    parent: DirNode | None
    line_prefix: str = ""
    child_prefix: str = ""
    dirs: list[DirNode] = field(default_factory=list)
    files: list[int] = field(default_factory=list)  # indices into the FileInfo list
    n_files: int = 0
    tokens: int = 0
    size: int = 0  # bytes of the files beneath
    estimated: bool = False  # some file beneath has an estimated count
    big: bool = False  # more than LIST_LIMIT files here: expanded, only packed ones are listed
    hidden: int = 0  # a big directory's files not listed (not packed)
    hidden_tokens: int = 0
    hidden_size: int = 0
    hidden_estimated: bool = False


def _about(n: int, estimated: bool) -> str:
    return f"~{n:,}" if estimated else f"{n:,}"


def _amount(tokens: int, estimated: bool, size: int) -> str:
    """What files not packed hold: their tokens when all were counted, else their bytes.

    A byte-rate estimate of a folder's tokens is off by more than 10% for over half of the
    folders measured (RANKING.md); the bytes are exact, and a reader can scale them."""
    if not estimated:
        return f"{tokens:,} tokens"
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:,.1f} {unit}"
    return f"{size:,} bytes"


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


class Tree:
    """Tree structure plus the expanded/collapsed state the fitter drives."""

    def __init__(
        self,
        infos: Sequence[FileInfo],
        *,
        line_cost: Callable[[str], int],
        separator_cost: int = 0,
        file_cost: Callable[[int, Mode], int] | None = None,
        notes: dict[int, str] | None = None,
        list_limit: int = LIST_LIMIT,
        exact: Callable[[int], int] | None = None,
        count_many: Callable[[Sequence[int]], None] | None = None,
    ) -> None:
        self._infos = infos
        self._list_limit = list_limit
        # A listed file's line shows its exact cost when `exact` is given (`count_many`
        # counts a directory's files at once when it opens), else its estimate ("~N").
        # A line's text never changes once made: the first answer is kept.
        self._exact = exact
        self._count_many = count_many
        self._listed: dict[int, tuple[int, bool]] = {}
        # A file's cost in a mode; skeleton costs may be computed lazily by the caller.
        self._file_cost = file_cost or (lambda i, mode: infos[i].cost(mode))
        self._notes = notes or {}  # a listed file's line says this instead (duplicates)
        self._line_cost = line_cost  # exact tokens of one rendered tree line
        self._sep = separator_cost  # tokens between two lines (JSON's ",\n")
        self.root = DirNode(".", "", None)
        self._dir_of: list[DirNode] = []
        self._build()
        self.mode: dict[int, Mode] = {}  # files not listed here are "listed"
        self.expanded: set[int] = set()  # id() of expanded DirNodes
        self._expand_cost: dict[int, tuple[int, int]] = {}
        self.n_lines = 1
        self.cost = self._line_cost(self._collapsed_line(self.root))

    def _build(self) -> None:
        index: dict[str, DirNode] = {"": self.root}
        dir_of = self._dir_of
        for i, info in enumerate(self._infos):
            head = info.path.rpartition("/")[0]
            node = self._node(index, head + "/" if head else "")
            node.files.append(i)
            dir_of.append(node)
            node.n_files += 1
            node.tokens += info.tokens
            node.size += info.size
            node.estimated |= info.estimated
        # Each directory's own files first, then the sums upward once per directory: a
        # child's key extends its parent's, so the longer keys go first.
        for key in sorted(index, key=len, reverse=True):
            node = index[key]
            up = node.parent
            if up is not None:
                up.n_files += node.n_files
                up.tokens += node.tokens
                up.size += node.size
                up.estimated |= node.estimated
        self._assign_prefixes(self.root)

    @staticmethod
    def _node(index: dict[str, DirNode], key: str) -> DirNode:
        """The directory `key` ("a/b/"), made with the parents it lacks."""
        node = index.get(key)
        if node is None:
            head, _, name = key[:-1].rpartition("/")
            parent = Tree._node(index, head + "/" if head else "")
            node = DirNode(name, key, parent)
            parent.dirs.append(node)
            index[key] = node
        return node

    def _assign_prefixes(self, root: DirNode) -> None:
        stack = [root]
        while stack:
            node = stack.pop()
            node.dirs.sort(key=lambda d: d.name)
            node.files.sort(key=lambda i: self._infos[i].path)
            node.big = len(node.files) > self._list_limit
            if node.big:
                node.hidden = len(node.files)
                node.hidden_tokens = sum(self._infos[i].tokens for i in node.files)
                node.hidden_size = sum(self._infos[i].size for i in node.files)
                node.hidden_estimated = any(self._infos[i].estimated for i in node.files)
            # A big directory's last line is its summary of the files not listed.
            n = len(node.dirs) + (1 if node.big else len(node.files))
            for k, child in enumerate(node.dirs):
                last = k == n - 1
                child.line_prefix = node.child_prefix + ("└── " if last else "├── ")
                child.child_prefix = node.child_prefix + ("    " if last else "│   ")
                stack.append(child)

    # -- line texts -------------------------------------------------------------

    def _file_prefix(self, i: int) -> str:
        node = self._dir_of[i]
        last = node.files[-1] == i and not node.big
        return node.child_prefix + ("└── " if last else "├── ")

    def _rest_line(self, d: DirNode, hidden: int, tokens: int, estimated: bool, size: int) -> str:
        """A big directory's last line: what it holds besides the files listed."""
        if not hidden:
            return f"{d.child_prefix}└── [all {len(d.files):,} files here packed]"
        return (
            f"{d.child_prefix}└── [{_plural(hidden, 'more file')} of {len(d.files):,} here, "
            f"{_amount(tokens, estimated, size)}: not packed]"
        )

    def file_line(self, i: int, mode: Mode) -> str:
        info = self._infos[i]
        name = display_path(info.path.rsplit("/", 1)[-1])
        note = self._notes.get(i) if mode == "listed" else None
        if note:
            return f"{self._file_prefix(i)}{name} [{note}]"
        if mode == "listed":
            # An unpacked file may only have been estimated; "~" says so.
            return f"{self._file_prefix(i)}{name} [listed {_about(*self.listed_size(i))}]"
        return f"{self._file_prefix(i)}{name} [{mode} {self._file_cost(i, mode):,}]"

    def listed_size(self, i: int) -> tuple[int, bool]:
        """The size a listed file's line shows, and whether it is an estimate."""
        got = self._listed.get(i)
        if got is None:
            info = self._infos[i]
            if self._exact is not None and info.estimated:
                got = (self._exact(i), False)
            else:
                got = (info.tokens, info.estimated)
            self._listed[i] = got
        return got

    def _expanded_line(self, d: DirNode) -> str:
        return "." if d is self.root else f"{d.line_prefix}{display_path(d.name)}/"

    def _collapsed_line(self, d: DirNode) -> str:
        what = f"[{_plural(d.n_files, 'file')}, {_amount(d.tokens, d.estimated, d.size)}: none packed]"
        if d is self.root:
            return f". {what}"
        return f"{d.line_prefix}{display_path(d.name)}/ {what}"

    # -- fitting ----------------------------------------------------------------

    def _expansion(self, d: DirNode) -> tuple[int, int]:
        """(tokens, lines) added by expanding `d` while nothing beneath it is packed."""
        cached = self._expand_cost.get(id(d))
        if cached is None:
            cost = self._line_cost(self._expanded_line(d)) - self._line_cost(self._collapsed_line(d))
            cost += sum(self._line_cost(self._collapsed_line(s)) for s in d.dirs)
            if d.big:
                cost += self._line_cost(
                    self._rest_line(d, d.hidden, d.hidden_tokens, d.hidden_estimated, d.hidden_size)
                )
                lines = len(d.dirs) + 1
            else:
                todo = [i for i in d.files if i not in self._listed and i not in self._notes]
                if self._count_many is not None and any(self._infos[i].estimated for i in todo):
                    self._count_many(todo)
                cost += sum(self._line_cost(self.file_line(i, "listed")) for i in d.files)
                lines = len(d.dirs) + len(d.files)
            cached = (cost + lines * self._sep, lines)
            self._expand_cost[id(d)] = cached
        return cached

    def _closed_chain(self, i: int) -> list[DirNode]:
        chain: list[DirNode] = []
        node: DirNode | None = self._dir_of[i]
        while node is not None and id(node) not in self.expanded:
            chain.append(node)
            node = node.parent
        chain.reverse()
        return chain

    def delta(self, i: int, mode: Mode) -> int:
        """Exact change of the tree's tokens if file `i` took `mode`."""
        cost = sum(self._expansion(d)[0] for d in self._closed_chain(i))
        return cost + self._own_delta(i, mode)[0]

    def _own_delta(self, i: int, mode: Mode) -> tuple[int, int]:
        """(tokens, lines) file i's own line changes by, its directory expanded."""
        old = self.mode.get(i, "listed")
        if old == mode:
            return 0, 0
        d = self._dir_of[i]
        if not d.big:
            return self._line_cost(self.file_line(i, mode)) - self._line_cost(self.file_line(i, old)), 0
        info = self._infos[i]
        if old == "listed":  # it appears, and leaves the summary
            before = self._rest_line(d, d.hidden, d.hidden_tokens, d.hidden_estimated, d.hidden_size)
            after = self._rest_line(
                d, d.hidden - 1, d.hidden_tokens - info.tokens, d.hidden_estimated, d.hidden_size - info.size
            )
            return (
                self._line_cost(self.file_line(i, mode))
                + self._sep
                + self._line_cost(after)
                - self._line_cost(before),
                1,
            )
        if mode == "listed":  # pragma: no cover - the fitter never unpacks a file
            raise ValueError("a packed file of a big directory cannot go back to listed")
        return self._line_cost(self.file_line(i, mode)) - self._line_cost(self.file_line(i, old)), 0

    def apply(self, i: int, mode: Mode) -> None:
        for d in self._closed_chain(i):
            tokens, lines = self._expansion(d)
            self.cost += tokens
            self.n_lines += lines
            self.expanded.add(id(d))
        tokens, lines = self._own_delta(i, mode)
        self.cost += tokens
        self.n_lines += lines
        d = self._dir_of[i]
        if d.big and self.mode.get(i, "listed") == "listed" and mode != "listed":
            d.hidden -= 1
            d.hidden_tokens -= self._infos[i].tokens
            d.hidden_size -= self._infos[i].size
        self.mode[i] = mode

    def visible(self, i: int) -> bool:
        d = self._dir_of[i]
        return id(d) in self.expanded and (not d.big or self.mode.get(i, "listed") != "listed")

    def line_tokens(self, i: int) -> int:
        """Tokens of file `i`'s own line (0 when folded into a directory summary)."""
        if not self.visible(i):
            return 0
        return self._line_cost(self.file_line(i, self.mode.get(i, "listed"))) + self._sep

    def lines(self) -> Iterator[str]:
        """The visible lines, top to bottom."""
        stack: list[DirNode | int | str] = [self.root]
        while stack:
            item = stack.pop()
            if isinstance(item, str):  # a big directory's summary of the rest
                yield item
                continue
            if isinstance(item, int):
                yield self.file_line(item, self.mode.get(item, "listed"))
                continue
            if id(item) not in self.expanded:
                yield self._collapsed_line(item)
                continue
            yield self._expanded_line(item)
            if item.big:
                shown = [i for i in item.files if self.mode.get(i, "listed") != "listed"]
                stack.append(
                    self._rest_line(
                        item, item.hidden, item.hidden_tokens, item.hidden_estimated, item.hidden_size
                    )
                )
                children: list[DirNode | int | str] = [*item.dirs, *shown]
            else:
                children = [*item.dirs, *item.files]
            stack.extend(reversed(children))

    def names(self) -> list[str]:
        """Every name the tree may show (sizes Markdown's tree fence)."""
        return [info.path for info in self._infos]
