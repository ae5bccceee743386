# Peak RSS and MB/s against the database size (bench/scale/plot.sh).
# gnuplot -e "csv='rows.csv'; out='scale.png'" scale.gp   (rows: size_gib,step,peak_rss_mib,mbps)
set terminal pngcairo size 1400,560 font "DejaVu Sans,11"
set output out
set datafile separator ","
set grid
set logscale x 2
set xlabel "database size (GiB)"
set key outside right top box opaque
set multiplot layout 1,2 title "certvault commands against the database size (certvault-bench scale)" font ",13"

rows(step) = sprintf("< awk -F, '$2==\"%s\"' '%s'", step, csv)
steps = "full (first)|full (0.5% changed)|folder (first)|folder (0.5% changed)|incremental|export|check --read-data|stats|forget --prune"
step(i) = system(sprintf("echo '%s' | cut -d'|' -f%d", steps, i))

set title "peak RSS"
set ylabel "MiB"
set yrange [0:80]
set arrow 1 from graph 0, first 64 to graph 1, first 64 nohead lw 2 dt 2 lc rgb "red"
set label 1 "64 MiB" at graph 0.02, first 66 textcolor rgb "red"
plot for [i=1:9] rows(step(i)) using 1:3 with linespoints lw 2 pt (i+4) title step(i)

unset arrow 1
unset label 1
set title "throughput (steps with a byte count)"
set ylabel "MB/s (10^6 bytes)"
set logscale y
set yrange [100:20000]
plot for [i in "1 2 3 4 6"] rows(step(int(i))) using 1:($4 > 0 ? $4 : 1/0) with linespoints lw 2 pt (int(i)+4) \
     title step(int(i))
unset multiplot
