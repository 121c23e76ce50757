"""
The CAOM archive of the local MAST: generated observations, their text columns, missions
and vocabularies, and their products and files.
"""
