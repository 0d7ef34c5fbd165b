# 9. klptest_count() counts its calls in a static local; the patched version
# keeps using that same counter (the livepatch relocation to the original's
# `calls`, not a new zero), and counts its own calls in a new global of the
# patch, klptest_patched_calls: it returns calls + 1000 * patched calls.
klp_check target-up target_up
expect count-1 1 cat /proc/klptest_count
expect count-2 2 cat /proc/klptest_count
expect count-3 3 cat /proc/klptest_count
load livepatch-static-local
expect carried-over 1004 cat /proc/klptest_count
expect new-global-live 2005 cat /proc/klptest_count
unload livepatch-static-local
expect original-again 6 cat /proc/klptest_count
