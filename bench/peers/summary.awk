# Markdown summary of bench/peers.sh's CSV (mawk-compatible: no asort).
# Columns: tool,step,generation,wall_s,cpu_s,peak_rss_kib,repo_bytes,input_bytes,ok,note
BEGIN { FS = ","; ntools = split("certvault restic borg zpaq bup casync", tools, " ") }

function median(list,    n, a, i, j, t) {
  n = split(list, a, " ")
  if (n == 0) return ""
  for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
  return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function mb(bytes) { return bytes == "" ? "–" : sprintf("%.1f", bytes / 1e6) }
function ratio(a, b) { return (a == "" || b == "" || b + 0 == 0) ? "–" : sprintf("%.2fx", a / b) }
function add(key, value) { values[key] = (key in values) ? values[key] " " value : value }

NR > 1 {
  tool = $1; step = $2; gen = $3 + 0
  if (gen > last) last = gen
  if (step == "backup") {
    size[tool, gen] = $7
    if (tool == "ideal") next
    if (gen == 1) { first_wall[tool] = $4; first_cpu[tool] = $5; first_rss[tool] = $6 }
    else { add("wall " tool, $4); add("cpu " tool, $5); add("rss " tool, $6) }
    if ($6 + 0 > max_rss[tool]) max_rss[tool] = $6 + 0
    if ($9 != 1) failed[tool] = failed[tool] " backup " gen
  } else if (step == "compare") {
    identical[tool] = $9
  } else if (step == "restore") {
    add("restore " tool, $4); add("restore_rss " tool, $6); last_restore[tool] = $4
    if ($6 + 0 > max_rss[tool]) max_rss[tool] = $6 + 0
  } else if (step == "restore_sync") {
    add("durable " tool, last_restore[tool] + $4)
  } else {
    wall[tool, step] = $4; rss[tool, step] = $6; after[tool, step] = $7; note[tool, step] = $10; ok[tool, step] = $9
    if ($6 + 0 > max_rss[tool]) max_rss[tool] = $6 + 0
  }
}

END {
  for (t = 1; t <= ntools + 1; t++) {
    tool = (t <= ntools) ? tools[t] : "ideal"
    list = ""
    for (g = 2; g <= last; g++) list = list " " (size[tool, g] - size[tool, g - 1])
    growth[tool] = median(list)
  }
  cv = "certvault"
  printf "Backups (generation 1 is the first full of a new repository; later columns are medians of generations 2..%d):\n\n", last
  print "| tool | 1st full: wall s | CPU s | peak RSS MiB | size MB | later fulls: wall s | CPU s | peak RSS MiB | growth per full MB | growth ÷ certvault | growth ÷ ideal | wall ÷ certvault | size after last MB |"
  print "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  for (t = 1; t <= ntools; t++) {
    tool = tools[t]
    w = median(values["wall " tool]); c = median(values["cpu " tool]); r = median(values["rss " tool])
    printf "| %s | %.2f | %.2f | %.0f | %s | %.2f | %.2f | %.0f | %s | %s | %s | %s | %s |\n", tool, first_wall[tool],
      first_cpu[tool], first_rss[tool] / 1024, mb(size[tool, 1]), w, c, r / 1024, mb(growth[tool]),
      ratio(growth[tool], growth[cv]), ratio(growth[tool], growth["ideal"]), ratio(w, median(values["wall " cv])),
      mb(size[tool, last])
  }
  printf "| ideal | | | | %s | | | | %s | %s | 1.00x | | %s |\n\n", mb(size["ideal", 1]), mb(growth["ideal"]),
    ratio(growth["ideal"], growth[cv]), mb(size["ideal", last])

  print "After the last generation (restores: median of every run; fsync = sync FILE... of the restored files, which certvault export does itself):\n"
  print "| tool | list s | restore s | restore + fsync s | restore peak RSS MiB | restored = input (cmp) | prune keep last 3 | prune s | size after prune MB |"
  print "|---|---|---|---|---|---|---|---|---|"
  for (t = 1; t <= ntools; t++) {
    tool = tools[t]
    restore[tool] = median(values["restore " tool]); durable[tool] = median(values["durable " tool])
    printf "| %s | %s | %s | %.2f | %.0f | %s | %s | %s | %s |\n", tool, wall[tool, "list"], restore[tool], durable[tool],
      median(values["restore_rss " tool]) / 1024, (identical[tool] == 1 ? "yes" : "**no**"), note[tool, "prune"],
      (wall[tool, "prune"] == "" ? "–" : wall[tool, "prune"]), mb(after[tool, "prune"])
  }
  print ""

  # The issue's targets, against restic and borg (and every peer for restore and RSS).
  worst_peer_growth = ""; best_peer_wall = ""; best_restore = ""; lowest_peer_rss = ""
  for (t = 2; t <= ntools; t++) {
    tool = tools[t]
    if (tool == "restic" || tool == "borg") {
      if (worst_peer_growth == "" || growth[tool] + 0 < worst_peer_growth + 0) worst_peer_growth = growth[tool]
      w = median(values["wall " tool]); if (best_peer_wall == "" || w + 0 < best_peer_wall + 0) best_peer_wall = w
    }
    if (best_restore == "" || durable[tool] + 0 < best_restore + 0) { best_restore = durable[tool]; best_restore_tool = tool }
    if (best_plain == "" || restore[tool] + 0 < best_plain + 0) { best_plain = restore[tool]; best_plain_tool = tool }
    if (lowest_peer_rss == "" || max_rss[tool] < lowest_peer_rss + 0) { lowest_peer_rss = max_rss[tool]; lowest_rss_tool = tool }
  }
  print "Targets (issue 9):\n"
  r = growth[cv] / growth["ideal"]
  printf "- storage growth per full <= 1.5x the ideal: %.2fx — %s\n", r, (r <= 1.5 ? "met" : "**not met**")
  r = worst_peer_growth / growth[cv]
  printf "- growth at least 5x smaller than restic's and borg's: the smaller of the two is %.1fx certvault's — %s\n", r, (r >= 5 ? "met" : "**not met**")
  r = best_peer_wall / median(values["wall " cv])
  printf "- full backup wall time at least 2x faster than restic and borg: the faster of the two takes %.1fx certvault's time — %s\n", r, (r >= 2 ? "met" : "**not met**")
  printf "- restore at least as fast as the fastest peer, both ending with the files fsynced: fastest peer %s %.2fs, certvault %.2fs — %s (without the peers' fsync: fastest %s %.2fs, certvault %.2fs)\n",
    best_restore_tool, best_restore, durable[cv], (durable[cv] + 0 <= best_restore + 0 ? "met" : "**not met**"),
    best_plain_tool, best_plain, restore[cv]
  printf "- peak RSS below every peer (any step): certvault %.0f MiB, lowest peer %s %.0f MiB — %s\n", max_rss[cv] / 1024,
    lowest_rss_tool, lowest_peer_rss / 1024, (max_rss[cv] < lowest_peer_rss + 0 ? "met" : "**not met**")
}
