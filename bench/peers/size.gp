# Repository size against generation for every tool and the ideal (bench/peers.sh).
# gnuplot -e "csv='peers.csv'; out='peers-size.png'; title='...'" size.gp
set terminal pngcairo size 1400,560 font "DejaVu Sans,11"
set output out
set datafile separator ","
set key top left box opaque
set grid
set xlabel "generation (one full backup each)"
set xtics 1
set multiplot layout 1,2 title title font ",13"

rows(t) = sprintf("< awk -F, '$1==\"%s\" && $2==\"backup\" {print $3\",\"$7}' '%s'", t, csv)
added(t) = sprintf("< awk -F, '$1==\"%s\" && $2==\"backup\" {if (n++) print $3\",\"($7-p); p=$7}' '%s'", t, csv)

set title "repository size after each full"
set ylabel "MB (10^6 bytes)"
set yrange [0:*]
plot rows("restic") using 1:($2/1e6) with linespoints lw 2 pt 7 title "restic", \
     rows("borg") using 1:($2/1e6) with linespoints lw 2 pt 5 title "borg", \
     rows("zpaq") using 1:($2/1e6) with linespoints lw 2 pt 9 title "zpaq", \
     rows("bup") using 1:($2/1e6) with linespoints lw 2 pt 11 title "bup", \
     rows("casync") using 1:($2/1e6) with linespoints lw 2 pt 3 title "casync", \
     rows("certvault") using 1:($2/1e6) with linespoints lw 3 pt 13 title "certvault", \
     rows("ideal") using 1:($2/1e6) with lines lw 2 dt 2 lc rgb "black" title "ideal (changed pages + new logs, zstd -3)"

set title "bytes added by each full after the first (log scale)"
set ylabel "MB added"
set logscale y
set yrange [0.2:2000]
set xrange [1.5:*]
set key bottom right horizontal
plot added("restic") using 1:($2/1e6) with linespoints lw 2 pt 7 title "restic", \
     added("borg") using 1:($2/1e6) with linespoints lw 2 pt 5 title "borg", \
     added("zpaq") using 1:($2/1e6) with linespoints lw 2 pt 9 title "zpaq", \
     added("bup") using 1:($2/1e6) with linespoints lw 2 pt 11 title "bup", \
     added("casync") using 1:($2/1e6) with linespoints lw 2 pt 3 title "casync", \
     added("certvault") using 1:($2/1e6) with linespoints lw 3 pt 13 title "certvault", \
     added("ideal") using 1:($2/1e6) with lines lw 2 dt 2 lc rgb "black" title "ideal"
unset multiplot
