"""The upload portal (`triwulan portal`): units upload and see the verdict; the board for the secretariat."""
